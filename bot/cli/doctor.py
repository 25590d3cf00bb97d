"""`asamblea doctor`: log in as the bot and check what the configuration needs from the world.

Every configured room joined or invited, the translation provider answering, and the bot's
message rate limit on Synapse (readable only when the bot is a server admin). Each finding is
one line; what to change follows, with the commands to run. The doctor changes nothing: it uses
the bot's stored session when there is one, and a password login of its own is logged out again.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinedRoomsResponse,
    LoginResponse,
    RoomResolveAliasResponse,
    SyncResponse,
    WhoamiResponse,
)

from bot.config import Config
from bot.matrix.session import ACCESS_TOKEN
from bot.services.translation import PROBE, TranslationError, try_provider
from bot.settings import TranslationSettings
from bot.storage.runtime_store import peek_values

HTTP_TIMEOUT = aiohttp.ClientTimeout(total=15)
UNLIMITED = {"messages_per_second": 0, "burst_count": 0}


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"  # could not check, or worth changing; the bot works
    FAIL = "FAIL"  # the bot cannot do its job until this is fixed


@dataclass(frozen=True)
class Check:
    subject: str
    verdict: Verdict
    detail: str
    advice: str = ""
    hung: bool = False  # a provider call that never returned holds a thread

    @property
    def ok(self) -> bool:
        return self.verdict != Verdict.FAIL

    def line(self) -> str:
        return f"  {self.verdict:<4}  {self.subject}: {self.detail}"


def ratelimit_path(user_id: str) -> str:
    return f"/_synapse/admin/v1/users/{quote(user_id, safe='@:')}/override_ratelimit"


def exemption_advice(homeserver: str, user_id: str) -> str:
    """The Synapse admin API call that exempts the bot from message rate limits."""
    body = json.dumps(UNLIMITED)
    return (
        f"Exempt {user_id} from Synapse's message rate limit (a burst of mirrored copies is "
        "otherwise slowed to the homeserver's pace): as a server admin, run\n"
        f"      curl -X POST -H 'Authorization: Bearer <admin access token>' \\\n"
        f"        -d '{body}' \\\n"
        f"        {homeserver.rstrip('/')}{ratelimit_path(user_id)}"
    )


# -- translation ----------------------------------------------------------------------------------


async def check_translation(settings: TranslationSettings) -> Check:
    """One short translation, as the bot would ask for it."""
    provider = settings.provider
    where = f"{provider} at {settings.url}" if settings.url else provider
    if provider == "none":
        return Check("translation", Verdict.OK, "none: messages are mirrored as written")
    started = time.monotonic()
    try:
        translated = await try_provider(settings)
    except TranslationError as error:
        return Check(
            "translation",
            Verdict.FAIL,
            f"{where} did not translate: {error}",
            advice=f"Check translation.url, translation.api_key and that {provider} is reachable "
            "from the bot's machine; until then copies go out untranslated, marked pending.",
            hung=error.reason == "timeout",
        )
    seconds = time.monotonic() - started
    text = PROBE[0]
    return Check(
        "translation", Verdict.OK, f'{where} answered "{text}" → "{translated}" ({seconds:.2f} s)'
    )


# -- the homeserver -------------------------------------------------------------------------------


class Session:
    """The bot's session for the doctor's questions: its stored (or configured) access token,
    or a password login of the doctor's own, logged out when done."""

    def __init__(self, config: Config) -> None:
        self._config = config
        settings = config.matrix
        self.client = AsyncClient(
            settings.homeserver,
            settings.user_id,
            config=AsyncClientConfig(encryption_enabled=False, store_sync_tokens=False),
        )
        self.client.user_id = settings.user_id
        self._logged_in_here = False
        self.how = ""

    async def open(self) -> Check:
        settings = self._config.matrix
        stored = peek_values(self._config.database_path, [ACCESS_TOKEN]).get(ACCESS_TOKEN)
        for token, how in ((settings.access_token, "matrix.access_token"), (stored, "stored")):
            if token and await self._whoami(token):
                self.how = "the bot's stored session" if how == "stored" else how
                return self._logged_in()
        if not settings.password:
            return Check(
                "login",
                Verdict.FAIL,
                "no access token the homeserver accepts, and no password",
                advice="Set matrix.password (or ASAMBLEA_PASSWORD), or a valid access token.",
            )
        response = await self.client.login(settings.password, device_name="Asamblea doctor")
        if not isinstance(response, LoginResponse):
            return Check(
                "login",
                Verdict.FAIL,
                f"{settings.user_id} could not log in: {response}",
                advice="Check matrix.homeserver, matrix.user_id and the password.",
            )
        self._logged_in_here = True
        self.how = "a password login of the doctor's own, logged out afterwards"
        return self._logged_in()

    async def _whoami(self, token: str) -> bool:
        self.client.access_token = token
        response = await self.client.whoami()
        if isinstance(response, WhoamiResponse) and response.user_id == self.client.user_id:
            self.client.device_id = response.device_id or ""
            return True
        self.client.access_token = ""
        return False

    def _logged_in(self) -> Check:
        return Check("login", Verdict.OK, f"{self.client.user_id} ({self.how})")

    async def close(self) -> None:
        if self._logged_in_here:
            await self.client.logout()
        await self.client.close()


async def check_rooms(client: AsyncClient, references: list[str]) -> list[Check]:
    resolved: dict[str, str | None] = {}
    for reference in references:
        if reference.startswith("!"):
            resolved[reference] = reference
            continue
        answer = await client.room_resolve_alias(reference)
        resolved[reference] = (
            answer.room_id if isinstance(answer, RoomResolveAliasResponse) else None
        )
    joined_answer = await client.joined_rooms()
    joined = set(joined_answer.rooms) if isinstance(joined_answer, JoinedRoomsResponse) else set()
    invited = await _invited_to(client, [r for r in resolved.values() if r and r not in joined])
    checks = []
    for reference, room_id in resolved.items():
        subject = f"room {reference}"
        if room_id is None:
            checks.append(
                Check(subject, Verdict.FAIL, "the alias does not resolve", f"Check {reference}.")
            )
        elif room_id in joined:
            checks.append(Check(subject, Verdict.OK, _named("joined", reference, room_id)))
        elif room_id in invited:
            checks.append(
                Check(
                    subject,
                    Verdict.OK,
                    _named("invited; the bot joins at start", reference, room_id),
                )
            )
        else:
            checks.append(
                Check(
                    subject,
                    Verdict.FAIL,
                    _named("neither joined nor invited", reference, room_id),
                    advice=f"Invite {client.user_id} to {reference}.",
                )
            )
    return checks


def _named(state: str, reference: str, room_id: str) -> str:
    return state if reference == room_id else f"{state} ({room_id})"


async def _invited_to(client: AsyncClient, room_ids: list[str]) -> set[str]:
    """Rooms among `room_ids` the bot is invited to: invites are told only by a sync."""
    if not room_ids:
        return set()
    response = await client.sync(
        timeout=0,
        sync_filter={
            "room": {
                "rooms": room_ids,
                "timeline": {"limit": 1},
                "ephemeral": {"not_types": ["*"]},
                "account_data": {"not_types": ["*"]},
            },
            "presence": {"not_types": ["*"]},
            "account_data": {"not_types": ["*"]},
        },
    )
    return set(response.rooms.invite) if isinstance(response, SyncResponse) else set()


async def check_rate_limit(homeserver: str, user_id: str, token: str) -> Check:
    """Synapse's per-user override, readable by server admins only."""
    url = homeserver.rstrip("/") + ratelimit_path(user_id)
    advice = exemption_advice(homeserver, user_id)
    try:
        async with (
            aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as http,
            http.get(url, headers={"Authorization": f"Bearer {token}"}) as response,
        ):
            status = response.status
            body: Any = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        return Check("rate limit", Verdict.WARN, f"could not check ({error!r})", advice)
    if status == 200 and isinstance(body, dict):
        return _rate_limit_verdict(body, advice)
    code = body.get("errcode") if isinstance(body, dict) else None
    if code == "M_FORBIDDEN":
        reason = "the bot is not a server admin, and only admins may read it"
    elif code == "M_UNRECOGNIZED" or status == 404:
        reason = "the homeserver has no Synapse admin API (see its own rate-limit settings)"
    else:
        reason = f"HTTP {status} {code or ''}".strip()
    return Check("rate limit", Verdict.WARN, f"could not check: {reason}", advice)


def _rate_limit_verdict(body: dict[str, Any], advice: str) -> Check:
    per_second, burst = body.get("messages_per_second"), body.get("burst_count")
    if per_second == 0 and burst == 0:
        return Check("rate limit", Verdict.OK, "exempt (messages_per_second 0, burst_count 0)")
    if per_second is None and burst is None:
        return Check(
            "rate limit", Verdict.WARN, "not exempt: the server-wide message limit applies", advice
        )
    detail = f"limited to {per_second} messages a second, bursts of {burst}"
    return Check("rate limit", Verdict.WARN, detail, advice)


# -- all of it ------------------------------------------------------------------------------------


async def examine(config: Config) -> list[Check]:
    session = Session(config)
    try:
        login = await session.open()
        checks = [login]
        if login.ok:
            rooms = [room.room for assembly in config.assemblies for room in assembly.rooms]
            checks += await check_rooms(session.client, rooms)
        checks.append(await check_translation(config.translation))
        if login.ok:
            checks.append(
                await check_rate_limit(
                    config.matrix.homeserver, config.matrix.user_id, session.client.access_token
                )
            )
        return checks
    finally:
        await session.close()


def report(config: Config, checks: list[Check]) -> str:
    lines = [f"asamblea doctor: {config.matrix.user_id} on {config.matrix.homeserver}"]
    lines += [check.line() for check in checks]
    advice = [check.advice for check in checks if check.advice and check.verdict != Verdict.OK]
    if advice:
        lines += ["", "What to change:"] + [f"  - {item}" for item in advice]
    else:
        lines += ["", "Nothing to change."]
    return "\n".join(lines)


async def run_doctor(config: Config) -> tuple[int, bool]:
    """Print the findings; (exit status, whether a provider call hung). Status 1 when something
    keeps the bot from its job."""
    checks = await examine(config)
    print(report(config, checks))
    return (0 if all(check.ok for check in checks) else 1), any(c.hung for c in checks)
