"""Does Asamblea keep pace with a live meeting? Measured beside the floor, in one run.

    python -m benchmarks.run [--only pace,burst] [--provider-latency 0.4] [--keep]

Everything runs on one local Synapse, on loopback. The floor is a raw HTTP relay
(`benchmarks.raw_relay`: /sync and /send, nothing else); the nio relay (`baseline_relay`) is
measured too, for reference. The bots run as their own processes; measurements alternate between
them so that each sees the same machine. Asamblea translates through the LibreTranslate
look-alike on loopback, with unique texts, so every message reaches it.

Parts (`--only`, comma-separated; all by default):
  onebyone    one message at a time: send, wait for the copy, send the next
  pace        a meeting's pace: four people, overlapping, one message every 50 ms in total;
              CPU per message of the bot and of the raw relay, and the SQLite statements
              Asamblea runs per message (read from its /metrics)
  burst       a slow provider (--provider-latency): a burst of 24 from four people, 100 ms
              apart, drained against the parallel floor; `!status` asked in the middle of it
  flood       a hostile member: alice sends 40 messages of 2,100 characters in 1.2 s (slow
              provider) and carol says one thing in the middle; how much later carol's copy
              comes than when the room is calm, and how much went to the translator
  assemblies  one bot serving 50 assemblies (100 rooms): a quiet one while 49 are busy;
              peak RSS; start-up (to the first sync served) and restart times
  boards      the meeting's pace with 30 meeting boards open beside it, and without, in turns:
              the mirror's latency, each change's way to every screen, the bot's memory
              (`benchmarks.board`)
  minutes     exporting the minutes of a recorded 5,000-message meeting
  language    language detection: each candidate library on labelled chat lines (accuracy,
              time per message) and the bot's memory with and without it (`benchmarks.language`)

Rate limits: the homeserver is LocalSynapse in its "relaxed" mode, whose homeserver.yaml lifts
every rc_* limit (10,000/s, bursts of 100,000) for every account, the bots and the people alike;
the run refuses to start otherwise. Asamblea's own fair-use budget for commands is lifted in
its configuration (`command_burst`), for the same reason.

Bot processes: `--keep` keeps their logs and databases (and Synapse's); `--profile` runs Asamblea
under cProfile (`benchmarks.profiled_bot`), to see where its time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.board import make_link, noise_ms
from benchmarks.board import measure as measure_boards
from benchmarks.language import CHOSEN, print_comparison
from benchmarks.language import measure as measure_language
from benchmarks.meeting import (
    TURNS,
    Contender,
    Line,
    Said,
    Seating,
    Talk,
    TimedPerson,
    await_copies,
    copied_once_in_order,
    copied_once_in_order_per_person,
    every,
    percentile,
    say,
    summary_ms,
    talk,
    turns,
    unique_text,
)
from benchmarks.minutes_export import export_seconds, record_meeting
from benchmarks.stage import bot_joined, seat_pairs, start_asamblea, start_relay
from bot.cli.devserver import LocalSynapse, RegisteredAccount, free_port
from tests.harness.bot_runner import RoomPair
from tests.harness.libretranslate import FakeLibreTranslate

PARTS = ("onebyone", "pace", "burst", "flood", "assemblies", "boards", "minutes", "language")
PEOPLE = ("alice", "beto", "carol", "dani")
BOTS = ("asamblea", "raw", "nio")
MANY = ("asamblea_many", "raw_many")
BOARD_BOT = "asambleaboard"


@dataclass(frozen=True)
class Settings:
    only: tuple[str, ...] = PARTS
    messages: int = 100  # one at a time
    pace_messages: int = 80
    pace_interval: float = 0.05
    # Traffic in the busy assemblies, in total. Slower than the meeting pace: at one message
    # each 50 ms this machine's Synapse is itself the queue, whoever relays.
    busy_interval: float = 0.1
    pace_trials: int = 2
    burst_messages: int = 24
    burst_interval: float = 0.1
    bursts: int = 4
    provider_latency: float = 0.4
    idle_commands: int = 12
    flood_messages: int = 40
    flood_chars: int = 2100
    flood_seconds: float = 1.2
    floods: int = 3
    assemblies: int = 50
    probes: int = 20
    minutes_messages: int = 5000
    language_rounds: int = 10
    boards: int = 30  # screens on the meeting board at once
    board_trials: int = 3
    profile: bool = False


@dataclass
class Row:
    measure: str
    asamblea: float | bool
    floor: float | bool | None
    floor_name: str
    ratio: float | None = None
    target: str = ""
    met: bool | None = None


def ratio_row(measure: str, ours: float, floor: float, floor_name: str, limit: float | None) -> Row:
    ratio = ours / floor if floor else None
    met = None if limit is None or ratio is None else ratio <= limit
    return Row(measure, ours, floor, floor_name, ratio, f"≤ {limit}×" if limit else "", met)


# -- the parts --------------------------------------------------------------------------------


async def one_at_a_time(
    contenders: list[Contender], people: dict[str, TimedPerson], count: int
) -> dict[str, list[float]]:
    latency: dict[str, list[float]] = {c.name: [] for c in contenders}
    for n in range(count):
        for contender in contenders if n % 2 == 0 else reversed(contenders):
            pair = contender.pairs[0]
            line = Line("alice", pair.english, unique_text("alice", "one"))
            done = await talk(contender, people, Seating(contender.pairs), [(0.0, line)])
            latency[contender.name].extend(done.latencies())
    return latency


async def meeting_pace(
    contenders: list[Contender], people: dict[str, TimedPerson], settings: Settings
) -> dict[str, dict[str, Any]]:
    latency: dict[str, list[float]] = {c.name: [] for c in contenders}
    sends: dict[str, list[float]] = {c.name: [] for c in contenders}
    cpu: dict[str, float] = {c.name: 0.0 for c in contenders}
    loop_cpu: dict[str, float] = {c.name: 0.0 for c in contenders}
    statements: dict[str, int] = {c.name: 0 for c in contenders}
    intact: dict[str, bool] = {c.name: True for c in contenders}
    order = [*contenders, *reversed(contenders)] * settings.pace_trials
    for contender in order[: len(contenders) * settings.pace_trials]:
        lines = turns(contender.pairs, settings.pace_messages, "pace")
        before, run_before = contender.cpu_seconds(), contender.statements()
        loop_before = contender.loop_cpu_seconds()
        done = await talk(
            contender, people, Seating(contender.pairs), every(settings.pace_interval, lines)
        )
        # Every copy seen means every copy sent: the sender's marks are in by now, or nearly.
        await asyncio.sleep(0.5)
        cpu[contender.name] += contender.cpu_seconds() - before
        loop_cpu[contender.name] += contender.loop_cpu_seconds() - loop_before
        if run_before is not None:
            statements[contender.name] += (contender.statements() or 0) - run_before
        latency[contender.name].extend(done.latencies())
        sends[contender.name].extend(s.answered - s.started for s in done.said)
        ok = await copied_once_in_order(contender, people, Seating(contender.pairs), done)
        intact[contender.name] &= ok
    return {
        c.name: {
            **summary_ms(latency[c.name]),
            "intact": intact[c.name],
            "send": summary_ms(sends[c.name]),
            "cpu_ms_per_message": cpu[c.name] * 1000 / len(latency[c.name]),
            "loop_cpu_ms_per_message": loop_cpu[c.name] * 1000 / len(latency[c.name]),
            **(
                {"statements_per_message": statements[c.name] / len(latency[c.name])}
                if c.metrics_url
                else {}
            ),
        }
        for c in contenders
    }


def burst_schedule(pair: RoomPair, settings: Settings) -> list[tuple[float, Line]]:
    """The burst, with `!status` asked in each room a third and two thirds of the way in."""
    schedule = every(settings.burst_interval, turns([pair], settings.burst_messages, "burst"))
    third = settings.burst_messages / 3
    for speaker, room, at in (
        ("carol", pair.english, third + 0.5),
        ("dani", pair.spanish, 2 * third + 0.5),
    ):
        schedule.append((at * settings.burst_interval, Line(speaker, room, "", is_command=True)))
    return schedule


async def idle_commands(
    contenders: Sequence[Contender], people: dict[str, TimedPerson], count: int
) -> dict[str, list[float]]:
    """Each contender's command asked `count` times, in turn, with nothing else going on."""
    trips: dict[str, list[float]] = {c.name: [] for c in contenders}
    for n in range(count):
        speaker = ("carol", "dani")[n % 2]
        for contender in contenders if n % 2 == 0 else reversed(contenders):
            seating = Seating(contender.pairs)
            line = Line(speaker, seating.room_of(speaker, contender.pairs[0]), "", True)
            done = await talk(contender, people, seating, [(0.0, line)])
            trips[contender.name].extend(done.round_trips())
    return trips


async def slow_provider_bursts(
    asamblea: Contender,
    floor: Contender,
    people: dict[str, TimedPerson],
    mt: FakeLibreTranslate,
    settings: Settings,
) -> dict[str, Any]:
    mt.delay_seconds = settings.provider_latency
    try:
        idle = await idle_commands([asamblea, floor], people, settings.idle_commands)
        bursts: dict[str, list[Talk]] = {asamblea.name: [], floor.name: []}
        intact = {asamblea.name: True, floor.name: True}
        provider_calls: list[int] = []
        for n in range(settings.bursts):
            for contender in (asamblea, floor) if n % 2 == 0 else (floor, asamblea):
                seating = Seating(contender.pairs)
                before = len(mt.requests)
                done = await talk(
                    contender, people, seating, burst_schedule(contender.pairs[0], settings)
                )
                if contender is asamblea:
                    provider_calls.append(len(mt.requests) - before)
                bursts[contender.name].append(done)
                intact[contender.name] &= await copied_once_in_order(
                    contender, people, seating, done
                )
    finally:
        mt.delay_seconds = 0.0
    ours, relay = bursts[asamblea.name], bursts[floor.name]
    relay_p95 = percentile([x for t in relay for x in t.latencies()], 0.95)
    floors = [t.send_seconds() + settings.provider_latency + relay_p95 for t in ours]
    return {
        "provider_latency_s": settings.provider_latency,
        "drain_s": [t.drain_seconds() for t in ours],
        "send_s": [t.send_seconds() for t in ours],
        "parallel_floor_s": floors,
        "relay_p95_ms": relay_p95 * 1000,
        "relay_drain_s": [t.drain_seconds() for t in relay],
        "relay_mirror": summary_ms([x for t in relay for x in t.latencies()]),
        "mirror": summary_ms([x for t in ours for x in t.latencies()]),
        "command_during_burst": summary_ms([x for t in ours for x in t.round_trips()]),
        "command_idle": summary_ms(idle[asamblea.name]),
        "relay_command_idle": summary_ms(idle[floor.name]),
        "relay_command_during_burst": summary_ms([x for t in relay for x in t.round_trips()]),
        "provider_calls_per_burst": provider_calls,
        "intact": intact[asamblea.name],
        "relay_intact": intact[floor.name],
    }


def flood_line(n: int, chars: int) -> str:
    """A long message no one said before."""
    words = unique_text("alice", f"flood {n}") + " "
    return (words * (chars // len(words) + 1))[:chars]


async def hostile_flood(
    asamblea: Contender, people: dict[str, TimedPerson], mt: FakeLibreTranslate, settings: Settings
) -> dict[str, Any]:
    """alice floods the English room; carol, beside her, says one thing in the middle of it.
    carol's copy is timed against the same message in a calm room, with the same provider."""
    pair = asamblea.pairs[0]
    seating = Seating([pair])
    mt.delay_seconds = settings.provider_latency
    try:
        calm: list[float] = []
        for _ in range(settings.floods):
            line = Line("carol", pair.english, unique_text("carol", "calm"))
            calm.extend((await talk(asamblea, people, seating, [(0.0, line)])).latencies())
        flooded: list[float] = []
        intact = True
        chars_before = sum(len(text) for text in mt.requests)
        gap = settings.flood_seconds / settings.flood_messages
        for round_ in range(settings.floods):
            lines = [
                Line("alice", pair.english, flood_line(round_ * 1000 + n, settings.flood_chars))
                for n in range(settings.flood_messages)
            ]
            schedule = [(n * gap, line) for n, line in enumerate(lines)]
            carols = Line("carol", pair.english, unique_text("carol", "during the flood"))
            schedule.append((settings.flood_seconds / 2, carols))
            done = await talk(asamblea, people, seating, schedule)
            [said] = [s for s in done.said if s.line is carols]
            flooded.append(done.copy_seen[said.event_id] - said.answered)
            intact &= await copied_once_in_order_per_person(asamblea, people, seating, done)
        translated = sum(len(text) for text in mt.requests) - chars_before
    finally:
        mt.delay_seconds = 0.0
    return {
        "provider_latency_s": settings.provider_latency,
        "messages": settings.flood_messages,
        "chars_each": settings.flood_chars,
        "seconds": settings.flood_seconds,
        "rounds": settings.floods,
        "calm": summary_ms(calm),
        "flooded": summary_ms(flooded),
        "flooded_ms": [x * 1000 for x in flooded],
        "chars_sent_to_translator": translated,
        "chars_said": settings.floods * settings.flood_messages * settings.flood_chars,
        "intact": intact,
    }


async def many_assemblies(
    synapse: LocalSynapse,
    mt: FakeLibreTranslate,
    workdir: Path,
    accounts: dict[str, RegisteredAccount],
    people: dict[str, TimedPerson],
    settings: Settings,
) -> dict[str, Any]:
    """One Asamblea process serving many assemblies, one quiet while the others are busy; the
    raw relay serving as many pairs is measured the same way, to tell the bot from the
    homeserver."""
    results: dict[str, Any] = {}
    for name in MANY:
        account = accounts[name]
        pairs = await seat_pairs(people, account.user_id, settings.assemblies, name)
        ours = name == "asamblea_many"
        began = time.perf_counter()
        bot = start_many(ours, workdir, synapse, account, pairs, people, mt, settings)
        try:
            first_start = await serving_after(bot, began) if ours else None
            await bot_joined(people, pairs, account.user_id)
            joined_all = time.perf_counter() - began
            side = "asamblea" if ours else bot.name
            results[side] = await quiet_while_busy(bot, people, pairs, settings)
            results[side]["all_rooms_joined_s"] = joined_all
            if ours:
                bot.stop()
                began = time.perf_counter()
                bot = start_many(ours, workdir, synapse, account, pairs, people, mt, settings)
                results[side]["first_start_s"] = first_start
                results[side]["restart_s"] = await serving_after(bot, began)
        finally:
            bot.stop()
    return results


def start_many(
    ours: bool,
    workdir: Path,
    synapse: LocalSynapse,
    account: RegisteredAccount,
    pairs: list[RoomPair],
    people: dict[str, TimedPerson],
    mt: FakeLibreTranslate,
    settings: Settings,
) -> Contender:
    """Asamblea serving every pair (`ours`), or the raw relay."""
    if not ours:
        return start_relay("raw", workdir, synapse.base_url, account, pairs)
    return start_asamblea(
        "asamblea-many",
        workdir,
        account,
        pairs,
        homeserver=synapse.base_url,
        chair=people["carol"].user_id,
        translator_url=mt.url,
        profile=settings.profile,
    )


async def serving_after(bot: Contender, began: float, timeout: float = 120.0) -> float:
    """Seconds from `began` (the process started) until the bot's /health says it serves."""
    while time.perf_counter() - began < timeout:
        if await asyncio.to_thread(bot.healthy):
            return time.perf_counter() - began
        await asyncio.sleep(0.05)
    raise TimeoutError("the bot never said it serves")


async def quiet_while_busy(
    bot: Contender, people: dict[str, TimedPerson], pairs: list[RoomPair], settings: Settings
) -> dict[str, Any]:
    quiet, busy = pairs[0], pairs[1:]
    warm_up = every(settings.busy_interval, turns(pairs, 2 * len(pairs), "warm-up"))
    await talk(bot, people, Seating(pairs), warm_up)
    idle = await _probes(bot, people, quiet, settings.probes)
    chatter = Chatter(bot, people, busy, settings.busy_interval)
    traffic = asyncio.create_task(chatter.run())
    await chatter.flowing.wait()
    busy_latency = await _probes(bot, people, quiet, settings.probes)
    chatter.stop()
    done = await traffic
    return {
        "assemblies": len(pairs),
        "busy_interval_s": settings.busy_interval,
        "quiet_idle": summary_ms(idle),
        "quiet_busy": summary_ms(busy_latency),
        "busy_messages": len(done.messages),
        "busy_mirror": summary_ms(done.latencies()),
        "busy_intact": await copied_once_in_order(bot, people, Seating(busy), done),
        "peak_rss_mb": bot.peak_rss_mb(),
    }


class Chatter:
    """The busy assemblies talking at a meeting's pace, speakers and assemblies taking turns,
    until stopped."""

    # Messages sent before the others' measurements begin, so the queues are in steady state.
    WARM = 20

    def __init__(
        self,
        bot: Contender,
        people: dict[str, TimedPerson],
        pairs: Sequence[RoomPair],
        interval: float,
    ) -> None:
        self._bot = bot
        self._people = people
        self._pairs = pairs
        self._interval = interval
        self._stop = asyncio.Event()
        self.flowing = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> Talk:
        marks = {name: person.mark() for name, person in self._people.items()}
        sending: list[asyncio.Task[Said]] = []
        begin = time.perf_counter()
        # A round in which every speaker has spoken in every busy assembly.
        round_length = len(self._pairs) * len(TURNS)
        while not self._stop.is_set():
            for line in turns(self._pairs, round_length, "busy"):
                moment = begin + len(sending) * self._interval
                await asyncio.sleep(max(0.0, moment - time.perf_counter()))
                if self._stop.is_set():
                    break
                sending.append(asyncio.create_task(say(self._people[line.speaker], line, "")))
                if len(sending) == self.WARM:
                    self.flowing.set()
        result = Talk(list(await asyncio.gather(*sending)), marks)
        seating = Seating(self._pairs)
        result.copy_seen = await await_copies(
            self._bot, self._people, seating, result.messages, marks
        )
        return result


async def _probes(
    bot: Contender, people: dict[str, TimedPerson], quiet: RoomPair, count: int
) -> list[float]:
    """Messages in the quiet assembly, one at a time."""
    latency = []
    for _ in range(count):
        line = Line("alice", quiet.english, unique_text("alice", "quiet"))
        latency.extend((await talk(bot, people, Seating([quiet]), [(0.0, line)])).latencies())
    return latency


async def boards_beside_the_meeting(
    synapse: LocalSynapse,
    mt: FakeLibreTranslate,
    workdir: Path,
    accounts: dict[str, RegisteredAccount],
    people: dict[str, TimedPerson],
    settings: Settings,
) -> dict[str, Any]:
    """An Asamblea process with its board on, its one assembly's board watched by
    `settings.boards` screens in some trials and by none in the others."""
    account = accounts[BOARD_BOT]
    pairs = await seat_pairs(people, account.user_id, 1, "board")
    port = free_port()
    token = await make_link(workdir / BOARD_BOT / "asamblea.db", "Asamblea 1")
    bot = start_asamblea(
        BOARD_BOT,
        workdir,
        account,
        pairs,
        homeserver=synapse.base_url,
        chair=people["carol"].user_id,
        translator_url=mt.url,
        board=f'listen = "127.0.0.1:{port}"',
        profile=settings.profile,
    )
    try:
        await bot_joined(people, pairs, account.user_id)
        url = f"http://127.0.0.1:{port}/board/{token}/events"
        return await measure_boards(bot, people, url, settings)
    finally:
        bot.stop()


# -- the run -------------------------------------------------------------------------------------


async def run(settings: Settings, out: Path | None, keep: bool) -> dict[str, Any]:
    measured_on = machine()
    language = None
    if "language" in settings.only:  # first, while no homeserver shares the machine
        language = await asyncio.to_thread(measure_language, settings.language_rounds)
    with FakeLibreTranslate() as mt:
        tmp = tempfile.mkdtemp(prefix="asamblea-bench-") if keep else None
        with tempfile.TemporaryDirectory(prefix="asamblea-bench-") as scratch:
            workdir = Path(tmp or scratch)
            details = await _measure(settings, mt, workdir)
            if "minutes" in settings.only:
                database = workdir / "recorded-meeting.db"
                await record_meeting(database, settings.minutes_messages)
                seconds = await asyncio.to_thread(
                    export_seconds, database, workdir / "minutes.html"
                )
                details["minutes_export"] = {
                    "messages": settings.minutes_messages,
                    "seconds": seconds,
                }
        if tmp:
            print(f"kept the logs and databases in {tmp}")
    if language:
        details["language_detection"] = language
    results = {
        "settings": asdict(settings),
        "machine": measured_on,
        "rows": [asdict(r) for r in rows(details)],
    }
    results["details"] = details
    print_table(results)
    if out:
        out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def machine() -> dict[str, Any]:
    """What the numbers were measured on: the cores, and how busy they already were."""
    return {"cpu_count": os.cpu_count(), "load_average_1m": os.getloadavg()[0]}


async def _measure(settings: Settings, mt: FakeLibreTranslate, workdir: Path) -> dict[str, Any]:
    parts = set(settings.only) - {"minutes", "language"}
    if not parts:
        return {}
    synapse = LocalSynapse(workdir / "synapse")
    if synapse.rate_limits != "relaxed":
        raise SystemExit("the benchmark needs the homeserver's rate limits lifted")
    synapse.start()
    try:
        accounts = {
            name: synapse.register(name, f"{name}-bench", displayname=name.title())
            for name in (*BOTS, *MANY, BOARD_BOT, *PEOPLE)
        }
        people = {name: TimedPerson(synapse.base_url, accounts[name]) for name in PEOPLE}
        for person in people.values():
            await person.start()
        try:
            details: dict[str, Any] = {
                "rate_limits": "lifted for every account by homeserver.yaml (LocalSynapse "
                "relaxed mode: every rc_* limit at 10,000/s with bursts of 100,000)"
            }
            if parts & {"onebyone", "pace", "burst", "flood"}:
                details |= await _one_assembly(settings, mt, workdir, synapse, accounts, people)
            if "assemblies" in parts:
                details["many_assemblies"] = await many_assemblies(
                    synapse, mt, workdir, accounts, people, settings
                )
            if "boards" in parts:
                details["boards"] = await boards_beside_the_meeting(
                    synapse, mt, workdir, accounts, people, settings
                )
            return details
        finally:
            for person in people.values():
                await person.stop()
    finally:
        synapse.stop()


async def _one_assembly(
    settings: Settings,
    mt: FakeLibreTranslate,
    workdir: Path,
    synapse: LocalSynapse,
    accounts: dict[str, RegisteredAccount],
    people: dict[str, TimedPerson],
) -> dict[str, Any]:
    """Asamblea serving one assembly, beside the raw relay and the nio relay."""
    pairs = {name: await seat_pairs(people, accounts[name].user_id, 1, name) for name in BOTS}
    asamblea = start_asamblea(
        "asamblea",
        workdir,
        accounts["asamblea"],
        pairs["asamblea"],
        homeserver=synapse.base_url,
        chair=people["carol"].user_id,
        translator_url=mt.url,
        profile=settings.profile,
    )
    contenders = [asamblea]
    for kind in ("raw", "nio"):
        contenders.append(start_relay(kind, workdir, synapse.base_url, accounts[kind], pairs[kind]))
    try:
        for name, contender in zip(BOTS, contenders, strict=False):
            await bot_joined(people, contender.pairs, accounts[name].user_id)
        for contender in contenders:  # first translations, first sends, before measuring
            await one_at_a_time([contender], people, 2)
            await idle_commands([contender], people, 2)
        details: dict[str, Any] = {}
        if "onebyone" in settings.only:
            latency = await one_at_a_time(contenders, people, settings.messages)
            details["one_at_a_time"] = {name: summary_ms(v) for name, v in latency.items()}
        if "pace" in settings.only:
            details["meeting_pace"] = await meeting_pace(contenders, people, settings)
        if "burst" in settings.only:
            details["slow_provider_burst"] = await slow_provider_bursts(
                asamblea, contenders[1], people, mt, settings
            )
        if "flood" in settings.only:
            details["flood"] = await hostile_flood(asamblea, people, mt, settings)
        details["peak_rss_mb"] = {c.name: c.peak_rss_mb() for c in contenders}
        return details
    finally:
        for contender in contenders:
            contender.stop()


# -- the table -----------------------------------------------------------------------------------


def rows(details: dict[str, Any]) -> list[Row]:
    table: list[Row] = []
    raw = "raw relay"
    for key, label, p50_limit in (
        ("one_at_a_time", "one at a time", 1.2),
        ("meeting_pace", "meeting pace", 1.25),
    ):
        if key in details:
            ours, floor = details[key]["asamblea"], details[key][raw]
            table.append(
                ratio_row(
                    f"mirror p50 ms, {label}", ours["p50_ms"], floor["p50_ms"], raw, p50_limit
                )
            )
            table.append(
                ratio_row(f"mirror p95 ms, {label}", ours["p95_ms"], floor["p95_ms"], raw, 1.5)
            )
            if "cpu_ms_per_message" in ours:
                table.append(
                    ratio_row(
                        f"bot CPU ms per message, {label}",
                        ours["cpu_ms_per_message"],
                        floor["cpu_ms_per_message"],
                        raw,
                        2.5,
                    )
                )
                if "loop_cpu_ms_per_message" in ours:
                    table.append(
                        ratio_row(
                            f"bot CPU ms per message on its event loop, {label}",
                            ours["loop_cpu_ms_per_message"],
                            floor["loop_cpu_ms_per_message"],
                            raw,
                            None,
                        )
                    )
                if nio := details[key].get("nio relay"):
                    # The floor for a bot built on matrix-nio: its sync parsing and checking.
                    table.append(
                        ratio_row(
                            f"nio relay CPU ms per message, {label}",
                            nio["cpu_ms_per_message"],
                            floor["cpu_ms_per_message"],
                            raw,
                            None,
                        )
                    )
            if "statements_per_message" in ours:
                table.append(
                    Row(
                        f"SQLite statements per message, {label}",
                        ours["statements_per_message"],
                        None,
                        "",
                    )
                )
            if "intact" in ours:
                table.append(
                    Row(f"copied once, in order, {label}", ours["intact"], floor["intact"], raw)
                )
    if burst := details.get("slow_provider_burst"):
        table.append(
            ratio_row(
                f"burst drain s, provider {burst['provider_latency_s']} s",
                statistics.mean(burst["drain_s"]),
                statistics.mean(burst["parallel_floor_s"]),
                "parallel floor",
                1.5,
            )
        )
        table.append(
            ratio_row(
                "burst mirror p50 ms",
                burst["mirror"]["p50_ms"],
                burst["provider_latency_s"] * 1000 + burst["relay_mirror"]["p50_ms"],
                "provider + raw",
                None,
            )
        )
        table.append(
            Row("copied once, in order, burst", burst["intact"], burst["relay_intact"], raw)
        )
        table.append(
            ratio_row(
                "!status p50 ms during burst",
                burst["command_during_burst"]["p50_ms"],
                burst["command_idle"]["p50_ms"],
                "idle !status",
                1.5,
            )
        )
        table.append(
            ratio_row(
                "raw !ping p50 ms during burst",
                burst["relay_command_during_burst"]["p50_ms"],
                burst["relay_command_idle"]["p50_ms"],
                "idle !ping",
                None,
            )
        )
        table.append(
            ratio_row(
                "!status p50 ms idle",
                burst["command_idle"]["p50_ms"],
                burst["relay_command_idle"]["p50_ms"],
                "raw !ping",
                None,
            )
        )
    if flood := details.get("flood"):
        table.extend(flood_rows(flood))
    if many := details.get("many_assemblies", {}).get("asamblea"):
        busy = f"{many['assemblies'] - 1} busy"
        for stat, limit in (("p50_ms", 1.3), ("p95_ms", None)):
            table.append(
                ratio_row(
                    f"quiet assembly {stat.replace('_', ' ')}, {busy}",
                    many["quiet_busy"][stat],
                    many["quiet_idle"][stat],
                    "quiet, all idle",
                    limit,
                )
            )
        if relay := details["many_assemblies"].get(raw):
            table.append(
                ratio_row(
                    f"raw relay quiet p50 ms, {busy}",
                    relay["quiet_busy"]["p50_ms"],
                    relay["quiet_idle"]["p50_ms"],
                    "quiet, all idle",
                    None,
                )
            )
            table.append(
                ratio_row(
                    f"busy mirror p50 ms, {busy}",
                    many["busy_mirror"]["p50_ms"],
                    relay["busy_mirror"]["p50_ms"],
                    raw,
                    None,
                )
            )
        table.append(Row("busy assemblies copied intact", many["busy_intact"], None, ""))
        rss = (details["many_assemblies"].get(raw) or {}).get("peak_rss_mb")
        table.append(
            Row(
                f"peak RSS MB, {many['assemblies']} assemblies",
                many["peak_rss_mb"],
                rss,
                f"raw, {many['assemblies']} pairs" if rss else "",
                many["peak_rss_mb"] / rss if rss else None,
                "< 200 MB",
                many["peak_rss_mb"] < 200,
            )
        )
        for key, label in (("first_start_s", "first start"), ("restart_s", "restart")):
            if key in many:
                table.append(
                    Row(
                        f"{label} s to serving, {many['assemblies']} assemblies",
                        many[key],
                        None,
                        "",
                        None,
                        "< 10 s",
                        many[key] < 10,
                    )
                )
    if boards := details.get("boards"):
        table.extend(board_rows(boards))
    if export := details.get("minutes_export"):
        table.append(
            Row(f"minutes export s, {export['messages']} msgs", export["seconds"], None, "")
        )
    if language := details.get("language_detection"):
        table.extend(language_rows(language["candidates"][CHOSEN]))
    return table


def board_rows(boards: dict[str, Any]) -> list[Row]:
    """The mirror with the screens open against without, each difference against the run's
    noise (how much trials of one kind differ among themselves)."""
    screens, noise = boards["screens"], noise_ms(boards["p50_ms_by_trial"])
    # The median of the trials' medians: one trial stalled by the machine moves it least.
    with_p50 = statistics.median(boards["p50_ms_by_trial"]["with"])
    without_p50 = statistics.median(boards["p50_ms_by_trial"]["without"])
    cpu = boards["cpu_ms_per_message"]
    table = [
        Row(
            f"mirror p50 ms at pace, {screens} boards open",
            with_p50,
            without_p50,
            "no board open",
            with_p50 / without_p50,
            f"± {noise:.0f} ms",
            abs(with_p50 - without_p50) <= noise,
        ),
        ratio_row(
            f"mirror p95 ms at pace, {screens} boards open",
            boards["with_boards"]["p95_ms"],
            boards["without_boards"]["p95_ms"],
            "no board open",
            None,
        ),
        ratio_row(
            f"bot CPU ms per message, {screens} boards open",
            cpu["with"],
            cpu["without"],
            "no board open",
            None,
        ),
        Row("copied once, in order, boards open", boards["intact"], None, ""),
        Row(
            f"RSS growth MB, {screens} boards open",
            boards["rss_growth_mb"],
            boards["rss_mb"]["before"],
            "RSS MB before",
            None,
            "< 20 MB",
            boards["rss_growth_mb"] < 20,
        ),
    ]
    if reach := boards.get("board_reach"):
        table.append(
            Row(
                f"board change to all {screens} p95 ms",
                reach["p95_ms"],
                None,
                "",
                None,
                "< 1000 ms",
                reach["p95_ms"] < 1000,
            )
        )
    return table


def flood_rows(flood: dict[str, Any]) -> list[Row]:
    """carol's copy while alice floods, against the same in a calm room: at most one
    translation (the provider's latency) and a second later."""
    worst = max(flood["flooded_ms"])
    calm = flood["calm"]["p50_ms"]
    allowed = calm + flood["provider_latency_s"] * 1000 + 1000
    said = f"{flood['messages']} x {flood['chars_each']} chars in {flood['seconds']:g} s"
    return [
        Row(
            f"flood ({said}): other's copy, worst ms",
            worst,
            calm,
            "calm room p50",
            worst / calm if calm else None,
            "≤ +1 tr.+1 s",
            worst <= allowed,
        ),
        ratio_row(
            "flood: chars sent to the translator",
            flood["chars_sent_to_translator"],
            flood["chars_said"],
            "chars said",
            None,
        ),
        Row("copied once, each person in order, flood", flood["intact"], None, ""),
    ]


def language_rows(chosen: dict[str, Any]) -> list[Row]:
    if "unavailable" in chosen:
        return [Row("language detection available", False, None, "")]
    without, loaded = chosen["without"], chosen["with"]
    return [
        Row(
            "language: clear lines found %",
            chosen["clear_accuracy"] * 100,
            None,
            "",
            None,
            "≥ 97 %",
            chosen["clear_accuracy"] >= 0.97,
        ),
        Row(
            "language: fallback lines kept %",
            chosen["fallback_accuracy"] * 100,
            None,
            "",
            None,
            "≥ 90 %",
            chosen["fallback_accuracy"] >= 0.90,
        ),
        Row("language detect p50 ms", chosen["p50_ms"], None, ""),
        Row(
            "language detect p95 ms",
            chosen["p95_ms"],
            None,
            "",
            None,
            "< 5 ms",
            chosen["p95_ms"] < 5,
        ),
        ratio_row(
            "RSS MB, bot + detector", loaded["rss_mb"], without["rss_mb"], "bot, no detector", None
        ),
        Row(
            "peak RSS MB, bot + detector",
            loaded["peak_mb"],
            without["peak_mb"],
            "bot, no detector",
            loaded["peak_mb"] / without["peak_mb"],
            "< 150 MB",
            loaded["peak_mb"] < 150,
        ),
    ]


def print_table(results: dict[str, Any]) -> None:
    def cell(value: Any, width: int) -> str:
        if value is None:
            return f"{'':>{width}}"
        if isinstance(value, bool):
            return f"{'yes' if value else 'NO':>{width}}"
        return f"{value:>{width}.{1 if abs(value) >= 10 else 2}f}"

    print(
        f"\n{'measure':<48}{'asamblea':>10}{'floor':>10}  {'floor is':<16}"
        f"{'ratio':>7}  {'target':<13}{'met':>4}"
    )
    for row in results["rows"]:
        met = "" if row["met"] is None else ("yes" if row["met"] else "NO")
        print(
            f"{row['measure']:<48}{cell(row['asamblea'], 10)}{cell(row['floor'], 10)}  "
            f"{row['floor_name']:<16}{cell(row['ratio'], 7)}  {row['target']:<13}{met:>4}"
        )
    details = results["details"]
    for key in ("one_at_a_time", "meeting_pace"):
        if nio := details.get(key, {}).get("nio relay"):
            raw = details[key]["raw relay"]
            print(
                f"nio relay, {key.replace('_', ' ')}: p50 {nio['p50_ms']:.1f} ms, "
                f"p95 {nio['p95_ms']:.1f} ms (raw relay {raw['p50_ms']:.1f} / "
                f"{raw['p95_ms']:.1f} ms)"
            )
    if pace := details.get("meeting_pace"):
        sends = ", ".join(f"{name} {v['send']['p50_ms']:.0f} ms" for name, v in pace.items())
        print(f"homeserver's answer to a send at the meeting pace, p50: {sends}")
    print(f"rate limits: {details.get('rate_limits', 'n/a')}")
    machine = results.get("machine") or {}
    print(
        f"machine: {machine.get('cpu_count')} cores, load average "
        f"{machine.get('load_average_1m', 0):.1f} when the run began"
    )
    if language := details.get("language_detection"):
        print_comparison(language)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = Settings()
    parser.add_argument("--only", default=",".join(PARTS), help="parts to run, comma-separated")
    parser.add_argument("--messages", type=int, default=defaults.messages)
    parser.add_argument("--pace-messages", type=int, default=defaults.pace_messages)
    parser.add_argument("--pace-interval", type=float, default=defaults.pace_interval)
    parser.add_argument("--busy-interval", type=float, default=defaults.busy_interval)
    parser.add_argument("--burst-messages", type=int, default=defaults.burst_messages)
    parser.add_argument("--bursts", type=int, default=defaults.bursts)
    parser.add_argument("--provider-latency", type=float, default=defaults.provider_latency)
    parser.add_argument("--floods", type=int, default=defaults.floods)
    parser.add_argument("--assemblies", type=int, default=defaults.assemblies)
    parser.add_argument("--probes", type=int, default=defaults.probes)
    parser.add_argument("--minutes-messages", type=int, default=defaults.minutes_messages)
    parser.add_argument("--boards", type=int, default=defaults.boards)
    parser.add_argument("--board-trials", type=int, default=defaults.board_trials)
    parser.add_argument(
        "--language-rounds",
        type=int,
        default=defaults.language_rounds,
        help="times every labelled line is detected, for the time per message",
    )
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results.json"))
    parser.add_argument("--keep", action="store_true", help="keep the logs and databases")
    parser.add_argument(
        "--profile", action="store_true", help="run Asamblea under cProfile (implies --keep)"
    )
    args = parser.parse_args()
    only = tuple(part.strip() for part in args.only.split(",") if part.strip())
    if unknown := set(only) - set(PARTS):
        parser.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}")
    settings = Settings(
        only=only,
        messages=args.messages,
        pace_messages=args.pace_messages,
        pace_interval=args.pace_interval,
        busy_interval=args.busy_interval,
        burst_messages=args.burst_messages,
        bursts=args.bursts,
        provider_latency=args.provider_latency,
        floods=args.floods,
        assemblies=args.assemblies,
        probes=args.probes,
        minutes_messages=args.minutes_messages,
        language_rounds=args.language_rounds,
        boards=args.boards,
        board_trials=args.board_trials,
        profile=args.profile,
    )
    asyncio.run(run(settings, args.json, args.keep or args.profile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
