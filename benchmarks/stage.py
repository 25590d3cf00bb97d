"""The stage: room pairs on the local homeserver, and the bots that serve them as processes.

Asamblea runs as `python -m bot run` with one `[[assemblies]]` per pair; the floors run as
`python -m benchmarks.raw_relay` (plain HTTP) and `python -m benchmarks.baseline_relay` (nio).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from nio import Event

from benchmarks.meeting import Contender, TimedPerson
from benchmarks.raw_relay import COPY_KEY as RAW_COPY_KEY
from bot.cli.devserver import RegisteredAccount, free_port
from bot.domain.events import MARKER
from tests.harness.bot_runner import RoomPair
from tests.harness.person import content_of

# Fair use (a per-person budget of commands) is lifted, like the homeserver's rate limits:
# the people here ask `!status` more often than anyone would, and the benchmark measures the
# bot's answers, not its refusals.
FAIR_USE_BURST = 10_000

# Room creation takes Synapse's database lock; a few at once is as fast as it gets.
_CREATING_AT_ONCE = 4


async def seat_pairs(
    people: dict[str, TimedPerson], bot_user: str, count: int, name: str
) -> list[RoomPair]:
    """`count` pairs of rooms with the bot invited: alice and carol in the English room of
    each, beto and dani in the Spanish one."""
    gate = asyncio.Semaphore(_CREATING_AT_ONCE)

    async def one(n: int) -> RoomPair:
        async with gate:
            english = await people["alice"].create_room(
                f"{name} {n} EN", invite=[bot_user, people["carol"].user_id]
            )
            spanish = await people["beto"].create_room(
                f"{name} {n} ES", invite=[bot_user, people["dani"].user_id]
            )
            await people["carol"].join(english)
            await people["dani"].join(spanish)
            return RoomPair(english, spanish)

    return list(await asyncio.gather(*(one(n) for n in range(1, count + 1))))


async def bot_joined(people: dict[str, TimedPerson], pairs: list[RoomPair], user_id: str) -> None:
    """Wait until the bot has joined every room of every pair."""

    def joined(room_id: str) -> Callable[[str, Event], bool]:
        return lambda r, e: (
            r == room_id
            and e.source.get("type") == "m.room.member"
            and e.source.get("state_key") == user_id
            and content_of(e).get("membership") == "join"
        )

    for pair in pairs:
        await people["alice"].wait_for(joined(pair.english), timeout=120)
        await people["beto"].wait_for(joined(pair.spanish), timeout=120)


def asamblea_config(
    path: Path,
    *,
    homeserver: str,
    account: RegisteredAccount,
    pairs: list[RoomPair],
    chair: str,
    translator_url: str,
    metrics_port: int,
    board: str = "",
) -> Path:
    """One assembly per pair; each names its standing chair, as the configuration requires,
    and lifts fair use. /metrics listens on `metrics_port`, for the statements the bot runs;
    `board`: the `[board]` section's settings, if the board is on."""
    assemblies = "".join(
        f"""
[[assemblies]]
name = "Asamblea {n}"
chairs = ["{chair}"]
command_burst = {FAIR_USE_BURST}

[[assemblies.rooms]]
room = "{pair.english}"
language = "en"
center = "US"
timezone = "America/New_York"

[[assemblies.rooms]]
room = "{pair.spanish}"
language = "es"
center = "MX"
timezone = "America/Mexico_City"
"""
        for n, pair in enumerate(pairs, 1)
    )
    board_section = f"\n[board]\n{board}\n" if board else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""
[matrix]
homeserver = "{homeserver}"
user_id = "{account.user_id}"
password = "{account.password}"

[bot]
database = "asamblea.db"

[observability]
listen = "127.0.0.1:{metrics_port}"

[translation]
provider = "libre"
url = "{translator_url}"
{board_section}{assemblies}""",
        encoding="utf-8",
    )
    return path


def start_asamblea(
    name: str,
    workdir: Path,
    account: RegisteredAccount,
    pairs: list[RoomPair],
    *,
    profile: bool = False,
    **config: str,
) -> Contender:
    """`profile`: run under cProfile (main thread: the event loop), written to NAME.prof when
    the bot stops; slower, so for finding where the time goes, not for the numbers."""
    port = free_port()
    path = asamblea_config(
        workdir / name / "asamblea.toml", account=account, pairs=pairs, metrics_port=port, **config
    )
    command = ["-m", "bot", "run", "--config", str(path)]
    if profile:
        command = ["-m", "benchmarks.profiled_bot", str(path), str(workdir / f"{name}.prof")]
    with (workdir / f"{name}.log").open("ab") as log:
        process = subprocess.Popen([sys.executable, *command], stdout=log, stderr=log)
    return Contender(
        name, process, pairs, MARKER, "!status", metrics_url=f"http://127.0.0.1:{port}/metrics"
    )


def start_relay(
    kind: str, workdir: Path, homeserver: str, account: RegisteredAccount, pairs: list[RoomPair]
) -> Contender:
    """The raw HTTP relay (the floor, any number of pairs) or the nio relay (one pair)."""
    module, copy_key = {
        "raw": ("benchmarks.raw_relay", RAW_COPY_KEY),
        "nio": ("benchmarks.baseline_relay", "org.asamblea.baseline"),
    }[kind]
    rooms = [room for pair in pairs for room in (pair.english, pair.spanish)]
    arguments = [homeserver, account.user_id, account.access_token, *rooms]
    with (workdir / f"{kind}-relay-{len(pairs)}.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *arguments], stdout=log, stderr=log
        )
    return Contender(f"{kind} relay", process, pairs, copy_key, "!ping")
