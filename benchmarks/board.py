"""Thirty screens on the meeting board while the meeting goes on at its pace.

The same Asamblea process mirrors a meeting at its pace (four people, one message every 50 ms)
with no board open, then with 30 boards open (30 server-sent event streams, as 30 phones and a
projector would hold), in turns, several times: the mirror's latency with the boards beside the
one without, against how much the trials of one kind differ among themselves (the run's
noise). Meanwhile a member raises and lowers a hand twice a second, so that the board changes
and every screen is sent each change; how long each change takes to reach all 30 is measured
too. The bot's resident memory is read before the boards open and while they are open.

The board's link is made in the bot's database before it starts, as `!board` would make it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.meeting import (
    Contender,
    Seating,
    TimedPerson,
    copied_once_in_order,
    every,
    summary_ms,
    talk,
    turns,
)
from bot.storage.board_store import BoardStore
from bot.storage.database import Database
from tests.harness.bot_runner import RoomPair

# Each change of the board is a hand raised or lowered, this often.
CHANGE_SECONDS = 0.5


def rss_mb(contender: Contender) -> float:
    """The bot's resident memory now."""
    status = Path(f"/proc/{contender.process.pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


async def make_link(database: Path, assembly: str) -> str:
    """A board token in the bot's database (made before the bot starts, which reads it)."""
    token = secrets.token_urlsafe(32)
    db = await Database.open(database)
    try:
        await BoardStore(db).set_token(assembly, token, "benchmark", 0)
    finally:
        await db.close()
    return token


@dataclass
class Screen:
    """One screen's server-sent event stream: when each new state of the board arrived."""

    boards: list[float] = field(default_factory=list)
    ticks: int = 0


async def watch(session: aiohttp.ClientSession, url: str, screen: Screen) -> None:
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=None)) as response:
        response.raise_for_status()
        name = ""
        async for raw in response.content:
            line = raw.decode()
            if line.startswith("event: "):
                name = line[7:].strip()
            elif line == "\n" and name:
                if name == "board":
                    screen.boards.append(time.perf_counter())
                else:
                    screen.ticks += 1
                name = ""


@contextlib.asynccontextmanager
async def screens_open(url: str, count: int):
    """`count` screens on the board, each holding its stream, until the block ends."""
    screens = [Screen() for _ in range(count)]
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(watch(session, url, s)) for s in screens]
        try:
            deadline = time.monotonic() + 30
            while not all(s.boards for s in screens):  # each has the board once connected
                if time.monotonic() > deadline:
                    raise TimeoutError("the screens did not all get the board")
                await asyncio.sleep(0.05)
            yield screens
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def hands_going(person: TimedPerson, room: str, stop: asyncio.Event, sent: list[float]):
    """A member raises and lowers a hand, the board changing each time."""
    command = "!hand"
    while not stop.is_set():
        await person.send_text(room, command)
        sent.append(time.perf_counter())  # from the homeserver's answer, as for the mirror
        command = "!lower" if command == "!hand" else "!hand"
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), CHANGE_SECONDS)


def reach_seconds(sent: Sequence[float], screens: Sequence[Screen]) -> list[float]:
    """For each change: how long until every screen had a new board after the homeserver took
    the command that made it."""
    if not screens:
        return []
    reached = []
    for moment in sent:
        arrivals = [next((t for t in s.boards if t > moment), None) for s in screens]
        if all(a is not None for a in arrivals):
            reached.append(max(arrivals) - moment)  # type: ignore[type-var]
    return reached


@dataclass(frozen=True)
class Trial:
    latencies: list[float]  # each message's copy, from the homeserver's answer to its arrival
    intact: bool  # every copy came once, in order
    reach: list[float]  # each change of the board, to every screen (with screens open)
    cpu_per_message: float  # the bot's CPU seconds, all threads, per message said


async def one_trial(
    bot: Contender,
    people: dict[str, TimedPerson],
    pair: RoomPair,
    settings: Any,
    screens: Sequence[Screen] = (),
) -> Trial:
    """The meeting at its pace, with the hands going."""
    stop, sent = asyncio.Event(), []
    hands = asyncio.create_task(hands_going(people["dani"], pair.spanish, stop, sent))
    lines = turns([pair], settings.pace_messages, "board")
    cpu = bot.cpu_seconds()
    done = await talk(bot, people, Seating([pair]), every(settings.pace_interval, lines))
    stop.set()
    await hands
    cpu = bot.cpu_seconds() - cpu
    intact = await copied_once_in_order(bot, people, Seating([pair]), done)
    await asyncio.sleep(1.0)  # the last change reaches the screens
    return Trial(done.latencies(), intact, reach_seconds(sent, screens), cpu / len(lines))


async def measure(
    bot: Contender, people: dict[str, TimedPerson], url: str, settings: Any
) -> dict[str, Any]:
    pair = bot.pairs[0]
    en, es = pair.english, pair.spanish
    for command, person, room in (
        ("!startmeeting Board benchmark", "carol", en),
        ("!item The budget 30m", "carol", en),
        ("!next", "carol", en),
        ("!hand", "alice", en),
        ("!mano", "beto", es),
    ):
        await people[person].send_text(room, command)
    await one_trial(bot, people, pair, settings)  # warm: translations, sends, the board read
    trials: dict[str, list[Trial]] = {"without": [], "with": []}
    memory: dict[str, float] = {"before": rss_mb(bot)}
    for trial in range(settings.board_trials):
        trials["without"].append(await one_trial(bot, people, pair, settings))
        async with screens_open(url, settings.boards) as screens:
            trials["with"].append(await one_trial(bot, people, pair, settings, screens))
            memory[f"open {trial + 1}"] = rss_mb(bot)
    memory["after"] = rss_mb(bot)
    reached = [x for t in trials["with"] for x in t.reach]
    return {
        "screens": settings.boards,
        "trials": settings.board_trials,
        "without_boards": summary_ms([x for t in trials["without"] for x in t.latencies]),
        "with_boards": summary_ms([x for t in trials["with"] for x in t.latencies]),
        "p50_ms_by_trial": {
            kind: [statistics.median(t.latencies) * 1000 for t in done]
            for kind, done in trials.items()
        },
        "cpu_ms_per_message": {
            kind: statistics.median(t.cpu_per_message * 1000 for t in done)
            for kind, done in trials.items()
        },
        "board_reach": summary_ms(reached) if reached else None,
        "changes_reached": len(reached),
        "intact": all(t.intact for done in trials.values() for t in done),
        "rss_mb": memory,
        "rss_growth_mb": max(v for k, v in memory.items() if k != "before") - memory["before"],
    }


def noise_ms(by_trial: dict[str, list[float]]) -> float:
    """How much trials of the same kind differ: the largest spread of either kind."""
    return max(max(v) - min(v) for v in by_trial.values() if v)
