"""Configuration: load a TOML file, validate all of it, and report every problem at once.

Every problem names its dotted key ("assemblies[0].rooms[1].language") and what was expected, so
an operator can fix the whole file in one pass. The bot never starts half-configured.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nio.crypto import ENCRYPTION_ENABLED as ENCRYPTION_AVAILABLE

from bot.domain.authority import WhoMayStart
from bot.domain.schedule import DEFAULT_REMINDER_OFFSETS, parse_offset
from bot.domain.secrecy import DEFAULT_SECRET_FLOOR
from bot.domain.stack import StackPolicy
from bot.domain.tally import DecisionRule
from bot.settings import (
    DEFAULT_BOARD_PORT,
    DEFAULT_OBSERVABILITY_PORT,
    LOG_LEVELS,
    LOOPBACK,
    PROVIDERS,
    BoardSettings,
    EncryptionSettings,
    LogFormat,
    LoggingSettings,
    ObservabilitySettings,
    TranslationSettings,
    Trust,
    VerifiedDevice,
    default_store_path,
)

SUPPORTED_LANGUAGES = ("en", "es")
TRANSLATION_PROVIDERS = tuple(sorted(PROVIDERS))
ENV_PASSWORD = "ASAMBLEA_PASSWORD"
ENV_ACCESS_TOKEN = "ASAMBLEA_ACCESS_TOKEN"
ENV_TRANSLATION_KEY = "ASAMBLEA_TRANSLATION_API_KEY"

_USER_ID = re.compile(r"^@[^:\s]+:\S+$")
# Room ids of room version 12 and later have no ":server" part; aliases always do.
_ROOM_REF = re.compile(r"^(![^\s]+|#[^:\s]+:\S+)$")


class ConfigError(Exception):
    """The configuration has problems; `problems` lists each one with its dotted key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class MatrixSettings:
    homeserver: str
    user_id: str
    password: str | None
    access_token: str | None
    device_name: str = "Asamblea"
    encryption: EncryptionSettings = field(default_factory=EncryptionSettings)


@dataclass(frozen=True)
class RoomConfig:
    room: str
    language: str
    center: str
    timezone: str = "UTC"


@dataclass(frozen=True)
class AssemblyConfig:
    name: str
    rooms: tuple[RoomConfig, ...]
    chairs: tuple[str, ...] = ()
    # Opt-in: a moderator in every room of the assembly is a standing chair.
    power_level_chairs: bool = False
    who_may_start: WhoMayStart = WhoMayStart.CHAIRS
    stack_policy: StackPolicy = StackPolicy.ALTERNATE
    turn_limit_seconds: int | None = None
    decision_rule: DecisionRule = DecisionRule.MAJORITY
    glossary_keep: tuple[str, ...] = ()
    glossary_fixed: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Seconds before a scheduled meeting at which a reminder is posted in every room.
    reminder_offsets: tuple[int, ...] = DEFAULT_REMINDER_OFFSETS
    # Whether messages of an encrypted room may be mirrored into an unencrypted one.
    allow_unencrypted_mirror: bool = False
    # Fair use: each member may make the bot speak in every room `command_burst` times in a
    # row, then once every `command_refill_seconds` (bot.domain.fair_use).
    command_burst: int = 5
    command_refill_seconds: float = 10.0
    # Interpreters correct machine copies (`!fix`), keep the glossary and the translation
    # memory, and may go on duty (`!interpreting on`). Standing chairs may name more in chat.
    interpreters: tuple[str, ...] = ()
    # Whether every member, not only interpreters, may correct a machine copy with `!fix`.
    members_may_fix: bool = False
    # The center of people who sit in more than one room: otherwise they count in the center of
    # the room they speak in.
    member_centers: Mapping[str, str] = field(default_factory=dict)
    # A secret poll shows a center's counts only when it has at least this many ballots (and
    # never where they would give away a smaller center's).
    secret_min_per_center: int = DEFAULT_SECRET_FLOOR
    # Whether `!board` gives the board's link to anyone, in the room, rather than to chairs only
    # in a direct chat.
    board_public: bool = False


@dataclass(frozen=True)
class Config:
    matrix: MatrixSettings
    database_path: Path
    command_prefix: str
    ignore_users: tuple[str, ...]
    translation: TranslationSettings
    assemblies: tuple[AssemblyConfig, ...]
    observability: ObservabilitySettings = field(default_factory=ObservabilitySettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    board: BoardSettings = field(default_factory=BoardSettings)


class _Reader:
    """Reads typed values out of nested TOML tables, collecting problems instead of raising."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        # Every table read, with its dotted key and the names asked of it: the names a table may
        # hold. Whatever else it holds is a mistake (often a misspelling, which would otherwise
        # be ignored silently and leave the setting at its default).
        self._tables: dict[int, tuple[Mapping[str, Any], str, set[str]]] = {}

    def problem(self, key: str, expected: str) -> None:
        self.problems.append(f"{key}: {expected}")

    def _asked(self, data: Mapping[str, Any], name: str, key: str) -> None:
        prefix = key[: -len(name)].rstrip(".") if key.endswith(name) else key.rpartition(".")[0]
        self._tables.setdefault(id(data), (data, prefix, set()))[2].add(name)

    def raw(self, data: Mapping[str, Any], name: str, key: str, default: Any = None) -> Any:
        """A value read as it is, for the reader's caller to check."""
        self._asked(data, name, key)
        return data.get(name, default)

    def check_unknown_keys(self) -> None:
        for data, prefix, names in self._tables.values():
            for extra in sorted(set(data) - names):
                key = f"{prefix}.{extra}" if prefix else extra
                near = difflib.get_close_matches(extra, sorted(names), n=1)
                hint = f"; did you mean {near[0]}?" if near else ""
                self.problem(key, f"unknown setting{hint}")

    def table(self, data: Mapping[str, Any], name: str, key: str) -> Mapping[str, Any]:
        self._asked(data, name, key)
        value = data.get(name, {})
        if not isinstance(value, Mapping):
            self.problem(key, "expected a table")
            return {}
        return value

    def string(
        self,
        data: Mapping[str, Any],
        name: str,
        key: str,
        *,
        required: bool = False,
        default: str | None = None,
    ) -> str | None:
        self._asked(data, name, key)
        value = data.get(name)
        if value is None or value == "":
            if required:
                self.problem(key, "is required (a non-empty string)")
            return default
        if not isinstance(value, str):
            self.problem(key, f"expected a string, got {type(value).__name__}")
            return default
        return value

    def number(
        self, data: Mapping[str, Any], name: str, key: str, default: float | None, minimum: float
    ) -> float | None:
        self._asked(data, name, key)
        value = data.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(key, f"expected a number, got {type(value).__name__}")
            return default
        if value < minimum:
            self.problem(key, f"expected a number >= {minimum}, got {value}")
            return default
        return value

    def whole_number(
        self, data: Mapping[str, Any], name: str, key: str, default: int, minimum: int
    ) -> int:
        self._asked(data, name, key)
        value = data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(key, f"expected a whole number >= {minimum}, got {value!r}")
            return default
        return value

    def boolean(self, data: Mapping[str, Any], name: str, key: str, default: bool) -> bool:
        self._asked(data, name, key)
        value = data.get(name, default)
        if not isinstance(value, bool):
            self.problem(key, "expected true or false")
            return default
        return value

    def string_list(self, data: Mapping[str, Any], name: str, key: str) -> list[str]:
        self._asked(data, name, key)
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(key, "expected a list of strings")
            return []
        return value

    def choice(
        self, data: Mapping[str, Any], name: str, key: str, options: tuple[str, ...], default: str
    ) -> str:
        value = self.string(data, name, key, default=default) or default
        if value not in options:
            self.problem(key, f"expected one of {', '.join(options)}; got {value!r}")
            return default
        return value

    def user_ids(self, data: Mapping[str, Any], name: str, key: str) -> tuple[str, ...]:
        users = self.string_list(data, name, key)
        for index, user in enumerate(users):
            if not _USER_ID.match(user):
                self.problem(
                    f"{key}[{index}]", f"expected a user id like @name:server; got {user!r}"
                )
        return tuple(users)


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate `path`; raise ConfigError listing every problem found."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError([f"{path}: file not found"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML ({exc})"]) from exc
    return parse_config(
        raw, base_dir=path.parent, environ=os.environ if environ is None else environ
    )


def parse_config(raw: Mapping[str, Any], base_dir: Path, environ: Mapping[str, str]) -> Config:
    reader = _Reader()
    matrix = _read_matrix(reader, reader.table(raw, "matrix", "matrix"), environ)
    bot = reader.table(raw, "bot", "bot")
    database = reader.string(bot, "database", "bot.database", default="./asamblea.db")
    prefix = reader.string(bot, "command_prefix", "bot.command_prefix", default="!") or "!"
    if len(prefix) > 3 or any(ch.isspace() or ch.isalnum() for ch in prefix):
        reader.problem("bot.command_prefix", "expected 1-3 punctuation characters such as '!'")
    ignore_users = reader.user_ids(bot, "ignore_users", "bot.ignore_users")
    translation = _read_translation(
        reader, reader.table(raw, "translation", "translation"), environ
    )
    assemblies = _read_assemblies(reader, reader.raw(raw, "assemblies", "assemblies"))
    observability = _read_observability(reader, reader.table(raw, "observability", "observability"))
    logs = _read_logging(reader, reader.table(raw, "logging", "logging"))
    board = _read_board(reader, reader.table(raw, "board", "board"))
    known = {"matrix", "bot", "translation", "assemblies", "observability", "logging", "board"}
    for extra in sorted(set(raw) - known):
        near = difflib.get_close_matches(extra, sorted(known), n=1)
        reader.problem(extra, "unknown section" + (f"; did you mean {near[0]}?" if near else ""))
    reader.check_unknown_keys()
    if reader.problems:
        raise ConfigError(reader.problems)
    database_path = Path(database or "./asamblea.db")
    if not database_path.is_absolute():
        database_path = base_dir / database_path
    matrix = _place_crypto_store(matrix, base_dir, database_path)
    return Config(
        matrix=matrix,
        database_path=database_path,
        command_prefix=prefix,
        ignore_users=ignore_users,
        translation=translation,
        assemblies=tuple(assemblies),
        observability=observability,
        logging=logs,
        board=board,
    )


def _read_matrix(
    reader: _Reader, data: Mapping[str, Any], environ: Mapping[str, str]
) -> MatrixSettings:
    homeserver = reader.string(data, "homeserver", "matrix.homeserver", required=True) or ""
    if homeserver and not homeserver.startswith(("http://", "https://")):
        reader.problem("matrix.homeserver", "expected a URL starting with https:// or http://")
    user_id = reader.string(data, "user_id", "matrix.user_id", required=True) or ""
    if user_id and not _USER_ID.match(user_id):
        reader.problem("matrix.user_id", f"expected a user id like @name:server; got {user_id!r}")
    # The environment wins over the file; the file's values are still read, so they are known.
    password = reader.string(data, "password", "matrix.password")
    token = reader.string(data, "access_token", "matrix.access_token")
    password = environ.get(ENV_PASSWORD) or password
    token = environ.get(ENV_ACCESS_TOKEN) or token
    if not password and not token:
        reader.problem(
            "matrix.password",
            f"a password or matrix.access_token is required (or set {ENV_PASSWORD} "
            f"/ {ENV_ACCESS_TOKEN})",
        )
    device_name = reader.string(data, "device_name", "matrix.device_name", default="Asamblea")
    return MatrixSettings(
        homeserver,
        user_id,
        password,
        token,
        device_name or "Asamblea",
        encryption=_read_encryption(reader, data),
    )


def _read_encryption(reader: _Reader, data: Mapping[str, Any]) -> EncryptionSettings:
    enabled = reader.boolean(data, "encryption", "matrix.encryption", True)
    if enabled and not ENCRYPTION_AVAILABLE:
        reader.problem(
            "matrix.encryption",
            "needs matrix-nio's e2e extra (pip install 'matrix-nio[e2e]'), or set it to false",
        )
    trust = reader.choice(data, "trust", "matrix.trust", tuple(Trust), Trust.TOFU)
    store_path = reader.string(data, "store_path", "matrix.store_path")
    devices = []
    entries = reader.raw(data, "verified_devices", "matrix.verified_devices", [])
    if not isinstance(entries, list):
        reader.problem("matrix.verified_devices", "expected a list of [[matrix.verified_devices]]")
        entries = []
    for index, entry in enumerate(entries):
        key = f"matrix.verified_devices[{index}]"
        if not isinstance(entry, Mapping):
            reader.problem(key, "expected a table with user_id, device_id and ed25519")
            continue
        user = reader.string(entry, "user_id", f"{key}.user_id", required=True) or ""
        if user and not _USER_ID.match(user):
            reader.problem(f"{key}.user_id", f"expected a user id like @name:server; got {user!r}")
        device = reader.string(entry, "device_id", f"{key}.device_id", required=True) or ""
        ed25519 = reader.string(entry, "ed25519", f"{key}.ed25519", required=True) or ""
        if ed25519 and len("".join(ed25519.split())) != 43:
            reader.problem(
                f"{key}.ed25519", "expected the device's 43-character session key (Ed25519)"
            )
        devices.append(VerifiedDevice(user, device, ed25519))
    return EncryptionSettings(
        enabled=enabled,
        trust=Trust(trust),
        store_path=Path(store_path) if store_path else None,
        verified_devices=tuple(devices),
    )


def _place_crypto_store(matrix: MatrixSettings, base_dir: Path, database: Path) -> MatrixSettings:
    """The crypto store sits beside the database unless matrix.store_path says otherwise."""
    path = matrix.encryption.store_path or default_store_path(database)
    if not path.is_absolute():
        path = base_dir / path
    return replace(matrix, encryption=replace(matrix.encryption, store_path=path))


def _read_translation(
    reader: _Reader, data: Mapping[str, Any], environ: Mapping[str, str]
) -> TranslationSettings:
    if not data.get("provider"):
        # No default: every choice but one sends people's words somewhere, and that is the
        # operator's decision to make knowingly.
        reader.problem("translation.provider", f"is required; choose one of: {provider_choices()}")
    provider = reader.choice(
        data, "provider", "translation.provider", TRANSLATION_PROVIDERS, "none"
    )
    url = reader.string(data, "url", "translation.url")
    api_key = reader.string(data, "api_key", "translation.api_key")
    api_key = environ.get(ENV_TRANSLATION_KEY) or api_key
    if provider == "libre" and not url:
        reader.problem(
            "translation.url", "is required for the libre provider (your LibreTranslate URL)"
        )
    if provider in ("microsoft", "deepl") and not api_key:
        reader.problem(
            "translation.api_key",
            f"is required for the {provider} provider (or {ENV_TRANSLATION_KEY})",
        )
    timeout = reader.number(data, "timeout_seconds", "translation.timeout_seconds", 10.0, 0.1)
    workers = reader.number(data, "max_workers", "translation.max_workers", 4, 1)
    region = reader.string(data, "region", "translation.region")
    max_chars = reader.number(data, "max_chars", "translation.max_chars", 2000, 100)
    share = reader.whole_number(
        data, "chars_per_person_minute", "translation.chars_per_person_minute", 6000, 100
    )
    if max_chars is not None and share < max_chars:
        reader.problem(
            "translation.chars_per_person_minute",
            f"must be at least translation.max_chars ({int(max_chars)}): a message that long "
            f"could never be translated; got {share}",
        )
    if reader.problems:
        return TranslationSettings()  # never used: the problems stop the load
    return TranslationSettings(
        provider=provider,
        url=url,
        api_key=api_key,
        region=region,
        timeout_seconds=float(timeout or 10.0),
        max_workers=int(workers or 4),
        max_message_chars=int(max_chars or 2000),
        chars_per_person_minute=share,
    )


def provider_choices() -> str:
    """The translation providers in one line, grouped by where people's words go."""
    return "; ".join(f"{names} ({privacy})" for names, privacy in PROVIDER_GROUPS)


PROVIDER_GROUPS = (
    ("libre", "private if self-hosted"),
    ("deepl, microsoft", "paid, third party"),
    ("google, mymemory", "free public endpoints, third party"),
    ("none", "no translation"),
)


def _read_observability(reader: _Reader, data: Mapping[str, Any]) -> ObservabilitySettings:
    listen = reader.string(data, "listen", "observability.listen")
    stale = reader.number(
        data, "stale_after_seconds", "observability.stale_after_seconds", 120.0, 1
    )
    if not listen:
        return ObservabilitySettings(stale_after_seconds=float(stale or 120.0))
    address = parse_listen(listen)
    if address is None:
        reader.problem(
            "observability.listen",
            f'expected "HOST:PORT" or a port (listening on {LOOPBACK}) such as '
            f'"{LOOPBACK}:{DEFAULT_OBSERVABILITY_PORT}"; got {listen!r}',
        )
        return ObservabilitySettings()
    host, port = address
    return ObservabilitySettings(host=host, port=port, stale_after_seconds=float(stale or 120.0))


def _read_board(reader: _Reader, data: Mapping[str, Any]) -> BoardSettings:
    listen = reader.string(data, "listen", "board.listen")
    public_url = reader.string(data, "public_url", "board.public_url")
    if public_url and not public_url.startswith(("http://", "https://")):
        reader.problem("board.public_url", "expected a URL starting with https:// or http://")
        public_url = None
    if public_url and ("?" in public_url or "#" in public_url):
        reader.problem("board.public_url", "expected a URL without a query or a fragment")
        public_url = None
    if public_url and not public_url.endswith("/"):
        public_url += "/"  # links are made by appending to it
    if not listen:
        return BoardSettings(public_url=public_url)
    address = parse_listen(listen)
    if address is None:
        reader.problem(
            "board.listen",
            f'expected "HOST:PORT" or a port (listening on {LOOPBACK}) such as '
            f'"{LOOPBACK}:{DEFAULT_BOARD_PORT}"; got {listen!r}',
        )
        return BoardSettings()
    host, port = address
    if host in ("0.0.0.0", "::") and not public_url:
        # A link to 0.0.0.0 opens nothing on anyone's phone.
        reader.problem(
            "board.public_url",
            f"is required when board.listen is {listen!r} (the address people open the board at)",
        )
    return BoardSettings(host=host, port=port, public_url=public_url)


def parse_listen(listen: str) -> tuple[str, int] | None:
    """(host, port) of "127.0.0.1:9464", "[::1]:9464" or "0.0.0.0:9464"; a bare port ("9464" or
    ":9464") listens on the loopback interface only. None if it is neither."""
    host, _, port = listen.strip().rpartition(":")
    host = host.strip("[]") or LOOPBACK
    if not port.isdigit() or not 0 < int(port) < 65536 or any(ch.isspace() for ch in host):
        return None
    return host, int(port)


def _read_logging(reader: _Reader, data: Mapping[str, Any]) -> LoggingSettings:
    level = (reader.string(data, "level", "logging.level", default="INFO") or "INFO").upper()
    if level not in LOG_LEVELS:
        reader.problem("logging.level", f"expected one of {', '.join(LOG_LEVELS)}; got {level!r}")
        level = "INFO"
    log_format = reader.choice(data, "format", "logging.format", tuple(LogFormat), LogFormat.TEXT)
    levels = []
    # Each key of `levels` names a logger (a module, a package, "nio"), not a setting.
    for name, value in reader.table(data, "levels", "logging.levels").items():
        key = f'logging.levels."{name}"'
        if not isinstance(value, str) or value.upper() not in LOG_LEVELS:
            reader.problem(key, f"expected one of {', '.join(LOG_LEVELS)}; got {value!r}")
            continue
        levels.append((name, value.upper()))
    return LoggingSettings(level=level, levels=tuple(levels), format=LogFormat(log_format))


def _read_assemblies(reader: _Reader, data: Any) -> list[AssemblyConfig]:
    if not isinstance(data, list) or not data:
        reader.problem("assemblies", "at least one [[assemblies]] table is required")
        return []
    assemblies = []
    seen_rooms: dict[str, str] = {}
    for index, entry in enumerate(data):
        key = f"assemblies[{index}]"
        if not isinstance(entry, Mapping):
            reader.problem(key, "expected a table")
            continue
        assembly = _read_assembly(reader, entry, key)
        for room_index, room in enumerate(assembly.rooms):
            if room.room in seen_rooms:
                reader.problem(
                    f"{key}.rooms[{room_index}].room",
                    f"{room.room} is already used by {seen_rooms[room.room]}",
                )
            seen_rooms[room.room] = f"{key}.rooms[{room_index}]"
        assemblies.append(assembly)
    names = [a.name for a in assemblies]
    for index, name in enumerate(names):
        if name and names.index(name) != index:
            reader.problem(f"assemblies[{index}].name", f"duplicate assembly name {name!r}")
    return assemblies


def _read_assembly(reader: _Reader, data: Mapping[str, Any], key: str) -> AssemblyConfig:
    name = reader.string(data, "name", f"{key}.name", required=True) or ""
    rooms = _read_rooms(reader, reader.raw(data, "rooms", f"{key}.rooms"), f"{key}.rooms")
    policy = reader.choice(
        data, "stack_policy", f"{key}.stack_policy", tuple(StackPolicy), StackPolicy.ALTERNATE
    )
    rule = reader.choice(
        data, "decision_rule", f"{key}.decision_rule", tuple(DecisionRule), DecisionRule.MAJORITY
    )
    limit = reader.number(data, "turn_limit_seconds", f"{key}.turn_limit_seconds", None, 10)
    burst = reader.number(data, "command_burst", f"{key}.command_burst", 5, 1)
    refill = reader.number(
        data, "command_refill_seconds", f"{key}.command_refill_seconds", 10.0, 0.1
    )
    glossary = reader.table(data, "glossary", f"{key}.glossary")
    chairs = reader.user_ids(data, "chairs", f"{key}.chairs")
    power_level_chairs = reader.boolean(
        data, "power_level_chairs", f"{key}.power_level_chairs", False
    )
    who_may_start = reader.choice(
        data, "who_may_start", f"{key}.who_may_start", tuple(WhoMayStart), WhoMayStart.CHAIRS
    )
    if who_may_start == WhoMayStart.CHAIRS and not (chairs or power_level_chairs):
        reader.problem(
            f"{key}.chairs",
            'name at least one standing chair, or set who_may_start = "anyone": '
            "only standing chairs may open a meeting",
        )
    return AssemblyConfig(
        name=name,
        rooms=tuple(rooms),
        chairs=chairs,
        power_level_chairs=power_level_chairs,
        who_may_start=WhoMayStart(who_may_start),
        stack_policy=StackPolicy(policy),
        turn_limit_seconds=int(limit) if limit is not None else None,
        decision_rule=DecisionRule(rule),
        glossary_keep=tuple(reader.string_list(glossary, "keep", f"{key}.glossary.keep")),
        glossary_fixed=_read_glossary_fixed(reader, glossary, f"{key}.glossary.fixed"),
        reminder_offsets=_read_reminder_offsets(reader, data, f"{key}.reminder_offsets"),
        allow_unencrypted_mirror=reader.boolean(
            data, "allow_unencrypted_mirror", f"{key}.allow_unencrypted_mirror", False
        ),
        command_burst=int(burst or 5),
        command_refill_seconds=float(refill or 10.0),
        interpreters=reader.user_ids(data, "interpreters", f"{key}.interpreters"),
        members_may_fix=reader.boolean(data, "members_may_fix", f"{key}.members_may_fix", False),
        member_centers=_read_member_centers(
            reader, data, f"{key}.member_centers", {room.center for room in rooms}
        ),
        secret_min_per_center=reader.whole_number(
            data, "secret_min_per_center", f"{key}.secret_min_per_center", DEFAULT_SECRET_FLOOR, 1
        ),
        board_public=reader.boolean(data, "board_public", f"{key}.board_public", False),
    )


def _read_member_centers(
    reader: _Reader, data: Mapping[str, Any], key: str, centers: set[str]
) -> dict[str, str]:
    found: dict[str, str] = {}
    for user, center in reader.table(data, "member_centers", key).items():
        if not _USER_ID.match(user):
            reader.problem(f"{key}", f"expected user ids like @name:server as keys; got {user!r}")
        elif center not in centers:
            known = ", ".join(sorted(centers)) or "none"
            reader.problem(f'{key}."{user}"', f"expected one of the rooms' centers ({known})")
        else:
            found[user] = center
    return found


def _read_reminder_offsets(reader: _Reader, data: Mapping[str, Any], key: str) -> tuple[int, ...]:
    if "reminder_offsets" not in data:
        return DEFAULT_REMINDER_OFFSETS
    offsets = []
    for index, word in enumerate(reader.string_list(data, "reminder_offsets", key)):
        seconds = parse_offset(word)
        if seconds is None:
            reader.problem(
                f"{key}[{index}]", f"expected a duration like 24h, 1h, 10m or 30s; got {word!r}"
            )
        else:
            offsets.append(seconds)
    return tuple(sorted(set(offsets), reverse=True))


def _read_rooms(reader: _Reader, data: Any, key: str) -> list[RoomConfig]:
    if not isinstance(data, list) or len(data) < 2:
        reader.problem(key, "expected at least two [[assemblies.rooms]] tables (one per language)")
        return []
    rooms = []
    for index, entry in enumerate(data):
        room_key = f"{key}[{index}]"
        if not isinstance(entry, Mapping):
            reader.problem(room_key, "expected a table")
            continue
        room = reader.string(entry, "room", f"{room_key}.room", required=True) or ""
        if room and not _ROOM_REF.match(room):
            reader.problem(
                f"{room_key}.room",
                f"expected a room id (!id:server) or alias (#name:server); got {room!r}",
            )
        language = reader.choice(
            entry, "language", f"{room_key}.language", SUPPORTED_LANGUAGES, "en"
        )
        center = reader.string(entry, "center", f"{room_key}.center", required=True) or ""
        timezone = reader.string(entry, "timezone", f"{room_key}.timezone", default="UTC") or "UTC"
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            reader.problem(f"{room_key}.timezone", f"expected an IANA time zone; got {timezone!r}")
        rooms.append(RoomConfig(room=room, language=language, center=center, timezone=timezone))
    return rooms


def _read_glossary_fixed(
    reader: _Reader, glossary: Mapping[str, Any], key: str
) -> dict[str, dict[str, str]]:
    fixed = reader.table(glossary, "fixed", key)
    pairs: dict[str, dict[str, str]] = {}
    for pair, terms in fixed.items():
        source, _, target = pair.partition("-")
        if source not in SUPPORTED_LANGUAGES or target not in SUPPORTED_LANGUAGES:
            reader.problem(f"{key}.{pair}", "expected a language pair such as en-es")
            continue
        if not isinstance(terms, Mapping) or not all(isinstance(v, str) for v in terms.values()):
            reader.problem(f"{key}.{pair}", "expected a table of term = translation strings")
            continue
        pairs[pair] = dict(terms)
    return pairs
