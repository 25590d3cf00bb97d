"""The values the configuration is made of: plain settings, with no behaviour of their own.

`bot.config` reads and validates the TOML file into these; the parts they configure (the Matrix
adapter's encryption, the translation service) import them from here, so that the configuration
depends on nothing above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

# -- encryption -----------------------------------------------------------------------------------


class Trust(StrEnum):
    # Every device of the rooms' members gets the room keys, pinned to the keys first seen.
    TOFU = "tofu"
    # Only the devices listed in matrix.verified_devices; everyone else reads nothing the bot says.
    VERIFIED = "verified"


@dataclass(frozen=True)
class VerifiedDevice:
    user_id: str
    device_id: str
    # The device's Ed25519 key ("session key" in Element's session list); spaces are ignored.
    ed25519: str

    @property
    def fingerprint(self) -> str:
        return "".join(self.ed25519.split())


@dataclass(frozen=True)
class EncryptionSettings:
    enabled: bool = True
    trust: Trust = Trust.TOFU
    # Where nio keeps the bot's keys; the configuration puts it beside the database by default.
    store_path: Path | None = None
    verified_devices: tuple[VerifiedDevice, ...] = ()


def default_store_path(database_path: Path) -> Path:
    return database_path.with_name(f"{database_path.stem}-crypto")


# -- translation ----------------------------------------------------------------------------------

PROVIDERS = frozenset({"google", "libre", "mymemory", "microsoft", "deepl", "none"})


@dataclass(frozen=True)
class TranslationSettings:
    """The ``translation`` section of the configuration."""

    provider: str = "none"
    url: str | None = None
    api_key: str | None = None
    region: str | None = None
    timeout_seconds: float = 10.0
    max_workers: int = 4
    # The longest piece sent to the provider in one request (longer texts go in chunks).
    max_chars: int = 4500
    # The most of one message sent for translation at all (config: translation.max_chars);
    # the rest is mirrored as written, with a note, so one message cannot run up the bill.
    max_message_chars: int = 2000
    # Each person's share of the translator: characters sent for them in a minute (config:
    # translation.chars_per_person_minute); beyond it their messages are mirrored as written.
    chars_per_person_minute: int = 6000

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            choices = ", ".join(sorted(PROVIDERS))
            raise ValueError(
                f"translation.provider must be one of {choices}, not {self.provider!r}"
            )
        if self.provider == "libre" and not self.url:
            raise ValueError("translation.url is required when translation.provider is 'libre'")
        if self.provider in {"microsoft", "deepl"} and not self.api_key:
            raise ValueError(
                f"translation.api_key is required when translation.provider is {self.provider!r}"
            )
        if self.timeout_seconds <= 0:
            raise ValueError("translation.timeout_seconds must be positive")
        if self.max_workers < 1:
            raise ValueError("translation.max_workers must be at least 1")
        if self.max_chars < 100:
            raise ValueError("translation.max_chars must be at least 100")
        if self.max_message_chars < 100:
            raise ValueError("translation.max_chars must be at least 100")
        if self.chars_per_person_minute < self.max_message_chars:
            raise ValueError(
                "translation.chars_per_person_minute must be at least translation.max_chars"
            )


# -- operations -----------------------------------------------------------------------------------

# What each provider does with the text it is given (private first, then paid third parties,
# then free public ones): the operator chooses, nothing is assumed.
PROVIDER_PRIVACY: dict[str, str] = {
    "libre": "your own LibreTranslate server: private if you host it yourself",
    "deepl": "DeepL's paid API: a third party receives every message",
    "microsoft": "Azure Translator, paid: a third party receives every message",
    "google": "Google's free public endpoint: a third party receives every message",
    "mymemory": "MyMemory's free public API: a third party receives every message",
    "none": "no translation: messages are mirrored as written, nothing leaves the bot",
}

# The port of the health and metrics listener, registered for Asamblea nowhere but a common
# choice for Prometheus exporters.
DEFAULT_OBSERVABILITY_PORT = 9464
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ObservabilitySettings:
    """The ``observability`` section: an HTTP listener for /health and /metrics, off unless
    `listen` is set."""

    host: str | None = None
    port: int = DEFAULT_OBSERVABILITY_PORT
    # /health fails once the last successful sync is older than this.
    stale_after_seconds: float = 120.0

    @property
    def enabled(self) -> bool:
        return self.host is not None


# The meeting board's own port, beside the health listener's.
DEFAULT_BOARD_PORT = 9465


@dataclass(frozen=True)
class BoardSettings:
    """The ``board`` section: the meeting board's HTTP listener, off unless `listen` is set,
    and the address people open it at (behind a reverse proxy, the proxy's)."""

    host: str | None = None
    port: int = DEFAULT_BOARD_PORT
    # Where the links the bot sends point, ending in "/"; None: the listening address itself.
    public_url: str | None = None

    @property
    def enabled(self) -> bool:
        return self.host is not None

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if self.host and ":" in self.host else self.host
        return f"http://{host}:{self.port}/"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"  # one JSON object a line: time, level, logger, message, exception


LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


@dataclass(frozen=True)
class LoggingSettings:
    """The ``logging`` section."""

    level: str = "INFO"
    # Per logger (a module or package name such as "bot.matrix" or "nio"): its own level.
    levels: tuple[tuple[str, str], ...] = ()
    format: LogFormat = LogFormat.TEXT
