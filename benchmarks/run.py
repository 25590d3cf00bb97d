"""Asamblea against a baseline relay, side by side in one run, on a local Synapse.

    python -m benchmarks.run [--messages 200] [--json benchmarks/results.json]

Both bots run as their own processes on the same homeserver, each in its own pair of rooms, and
the measurements alternate between them so that both see the same machine. Asamblea translates
through the LibreTranslate look-alike on loopback (unique texts, so every message reaches it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.minutes_export import export_seconds, record_meeting
from bot.devserver import LocalSynapse, RegisteredAccount
from tests.harness.bot_runner import RoomPair, write_config
from tests.harness.libretranslate import FakeLibreTranslate
from tests.harness.person import Person, content_of

Predicate = Callable[[str, Any], bool]


@dataclass
class Contender:
    """One bot under test: its process, its rooms, and how to recognise its copies."""

    name: str
    process: subprocess.Popen[bytes]
    rooms: RoomPair
    copy_key: str  # content key whose "source" names the copied event
    command: str  # a command and the text of its answer
    answer: str

    def copy_of(self, source_event_id: str) -> Predicate:
        def match(room_id: str, event: Any) -> bool:
            marker = content_of(event).get(self.copy_key) or {}
            relation = content_of(event).get("m.relates_to") or {}
            return marker.get("source") == source_event_id and "rel_type" not in relation

        return match

    def answer_to(self, event_id: str) -> Predicate:
        def match(room_id: str, event: Any) -> bool:
            relation = content_of(event).get("m.relates_to") or {}
            return (relation.get("m.in_reply_to") or {}).get("event_id") == event_id

        return match

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def mirror_latency(
    contender: Contender, sender: Person, observer: Person, index: int
) -> float:
    mark = observer.mark()
    started = time.perf_counter()
    event_id = await sender.send_text(
        contender.rooms.english, f"hello world {index} {contender.name}"
    )
    await observer.wait_for(contender.copy_of(event_id), since=mark, timeout=60)
    return time.perf_counter() - started


async def command_round_trip(contender: Contender, person: Person) -> float:
    mark = person.mark()
    started = time.perf_counter()
    event_id = await person.send_text(contender.rooms.english, contender.command)
    await person.wait_for(contender.answer_to(event_id), since=mark, timeout=60)
    return time.perf_counter() - started


async def burst(contender: Contender, people: dict[str, Person], per_person: int) -> dict[str, Any]:
    """Four people send at once across both rooms; every copy must arrive once, in order."""
    rooms = contender.rooms
    seats = {
        "alice": rooms.english,
        "carol": rooms.english,
        "beto": rooms.spanish,
        "dani": rooms.spanish,
    }
    marks = {name: person.mark() for name, person in people.items()}
    sent: dict[str, list[str]] = {}

    async def speak(name: str) -> None:
        sent[name] = [
            await people[name].send_text(seats[name], f"{name} says hello {n} {contender.name}")
            for n in range(per_person)
        ]

    started = time.perf_counter()
    await asyncio.gather(*(speak(name) for name in seats))
    send_seconds = time.perf_counter() - started
    for name, events in sent.items():
        watcher = _observer_of(seats[name], rooms)
        for event_id in events:
            await people[watcher].wait_for(
                contender.copy_of(event_id), since=marks[watcher], timeout=120
            )
    drain = time.perf_counter() - started
    return {
        "drain_seconds": drain,
        "send_seconds": send_seconds,
        "intact": _arrived_once_in_order(contender, people, sent, seats, marks),
    }


def _arrived_once_in_order(
    contender: Contender,
    people: dict[str, Person],
    sent: dict[str, list[str]],
    seats: dict[str, str],
    marks: dict[str, int],
) -> bool:
    for name, events in sent.items():
        watcher = _observer_of(seats[name], contender.rooms)
        position = {event_id: n for n, event_id in enumerate(events)}
        seen = [
            position[source]
            for _, event in people[watcher].events[marks[watcher] :]
            if (source := (content_of(event).get(contender.copy_key) or {}).get("source"))
            in position
            and "rel_type" not in (content_of(event).get("m.relates_to") or {})
        ]
        if seen != list(range(len(events))):
            return False
    return True


def _observer_of(room_id: str, rooms: RoomPair) -> str:
    """Who reads the copies of messages sent in `room_id`: someone in the other room."""
    return "beto" if room_id == rooms.english else "alice"


async def setup_rooms(people: dict[str, Person], bot_user: str) -> RoomPair:
    english = await people["alice"].create_room(
        "Bench EN", invite=[bot_user, people["carol"].user_id]
    )
    spanish = await people["beto"].create_room(
        "Bench ES", invite=[bot_user, people["dani"].user_id]
    )
    await people["carol"].join(english)
    await people["dani"].join(spanish)
    return RoomPair(english, spanish)


async def wait_joined(person: Person, room_id: str, user_id: str) -> None:
    await person.wait_for(
        lambda r, e: (
            r == room_id
            and e.source.get("type") == "m.room.member"
            and e.source.get("state_key") == user_id
            and content_of(e).get("membership") == "join"
        ),
        timeout=60,
    )


async def run(
    messages: int, per_person: int, minutes_messages: int, out: Path | None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="asamblea-bench-") as tmp, FakeLibreTranslate() as mt:
        workdir = Path(tmp)
        synapse = LocalSynapse(workdir / "synapse")
        synapse.start()
        try:
            results = await _measure(synapse, mt, workdir, messages, per_person)
        finally:
            synapse.stop()
        database = workdir / "recorded-meeting.db"
        await record_meeting(database, minutes_messages)
        seconds = await asyncio.to_thread(export_seconds, database, workdir / "minutes.html")
        results["minutes_export"] = {"messages": minutes_messages, "seconds": seconds}
        _print_table(results)
        if out:
            out.write_text(json.dumps(results, indent=2))
        return results


async def _measure(
    synapse: LocalSynapse,
    mt: FakeLibreTranslate,
    workdir: Path,
    messages: int,
    per_person: int,
) -> dict[str, Any]:
    accounts: dict[str, RegisteredAccount] = {
        name: synapse.register(name, f"{name}-bench", displayname=name.title())
        for name in ("asamblea", "baseline", "alice", "beto", "carol", "dani")
    }
    people = {
        name: Person(synapse.base_url, accounts[name])
        for name in ("alice", "beto", "carol", "dani")
    }
    for person in people.values():
        await person.start()
    try:
        contenders = await _start_bots(synapse, mt, workdir, accounts, people)
        try:
            return await _compare(contenders, people, messages, per_person)
        finally:
            for contender in contenders:
                contender.process.terminate()
                contender.process.wait(timeout=30)
    finally:
        for person in people.values():
            await person.stop()


async def _start_bots(
    synapse: LocalSynapse,
    mt: FakeLibreTranslate,
    workdir: Path,
    accounts: dict[str, RegisteredAccount],
    people: dict[str, Person],
) -> list[Contender]:
    asamblea_rooms = await setup_rooms(people, accounts["asamblea"].user_id)
    baseline_rooms = await setup_rooms(people, accounts["baseline"].user_id)
    config = write_config(
        workdir / "asamblea.toml",
        homeserver=synapse.base_url,
        bot_user_id=accounts["asamblea"].user_id,
        bot_password="asamblea-bench",
        rooms=asamblea_rooms,
        chairs=[people["carol"].user_id],
        translation=f'provider = "libre"\nurl = "{mt.url}"',
    )
    logs = (workdir / "asamblea.log").open("wb")
    asamblea = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)], stdout=logs, stderr=logs
    )
    baseline = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.baseline_relay",
            synapse.base_url,
            accounts["baseline"].user_id,
            accounts["baseline"].access_token,
            baseline_rooms.english,
            baseline_rooms.spanish,
        ],
        stdout=subprocess.DEVNULL,
        stderr=logs,
    )
    for bot, rooms in (
        (accounts["asamblea"], asamblea_rooms),
        (accounts["baseline"], baseline_rooms),
    ):
        await wait_joined(people["alice"], rooms.english, bot.user_id)
        await wait_joined(people["beto"], rooms.spanish, bot.user_id)
    return [
        Contender("asamblea", asamblea, asamblea_rooms, "org.asamblea.bot", "!help", ""),
        Contender("baseline", baseline, baseline_rooms, "org.asamblea.baseline", "!ping", "pong"),
    ]


async def _compare(
    contenders: list[Contender],
    people: dict[str, Person],
    messages: int,
    per_person: int,
) -> dict[str, Any]:
    alice, beto = people["alice"], people["beto"]
    # Warm up both (first translations, first sends) before measuring.
    for contender in contenders:
        await command_round_trip(contender, alice)
        await mirror_latency(contender, alice, beto, -1)
    latency: dict[str, list[float]] = {c.name: [] for c in contenders}
    commands: dict[str, list[float]] = {c.name: [] for c in contenders}
    for index in range(messages):
        for contender in contenders if index % 2 == 0 else reversed(contenders):
            latency[contender.name].append(await mirror_latency(contender, alice, beto, index))
    for index in range(max(20, messages // 2)):
        for contender in contenders if index % 2 == 0 else reversed(contenders):
            commands[contender.name].append(await command_round_trip(contender, alice))
    bursts: dict[str, list[dict[str, Any]]] = {c.name: [] for c in contenders}
    for contender in [*contenders, *reversed(contenders)]:
        bursts[contender.name].append(await burst(contender, people, per_person))
    return _summarize(contenders, latency, commands, bursts, messages, per_person)


def _summarize(
    contenders: list[Contender],
    latency: dict[str, list[float]],
    commands: dict[str, list[float]],
    bursts: dict[str, list[dict[str, Any]]],
    messages: int,
    per_person: int,
) -> dict[str, Any]:
    rows: dict[str, dict[str, float]] = {}
    for contender in contenders:
        name = contender.name
        rows[name] = {
            "mirror_p50_ms": statistics.median(latency[name]) * 1000,
            "mirror_p95_ms": percentile(latency[name], 0.95) * 1000,
            "command_p50_ms": statistics.median(commands[name]) * 1000,
            "command_p95_ms": percentile(commands[name], 0.95) * 1000,
            "burst_drain_s": statistics.mean(b["drain_seconds"] for b in bursts[name]),
            "burst_intact": all(b["intact"] for b in bursts[name]),
            "peak_rss_mb": contender.peak_rss_mb(),
        }
    ratios = {
        key: rows["asamblea"][key] / rows["baseline"][key]
        for key in (
            "mirror_p50_ms",
            "mirror_p95_ms",
            "command_p50_ms",
            "command_p95_ms",
            "burst_drain_s",
            "peak_rss_mb",
        )
        if rows["baseline"][key]
    }
    return {
        "messages": messages,
        "burst_messages": per_person * 4,
        "bots": rows,
        "ratio_asamblea_to_baseline": ratios,
    }


def _print_table(results: dict[str, Any]) -> None:
    rows = results["bots"]
    ratios = results["ratio_asamblea_to_baseline"]
    print(f"\n{'measure':<18}{'asamblea':>12}{'baseline':>12}{'ratio':>8}")
    for key in (
        "mirror_p50_ms",
        "mirror_p95_ms",
        "command_p50_ms",
        "command_p95_ms",
        "burst_drain_s",
        "peak_rss_mb",
    ):
        a, b = rows["asamblea"][key], rows["baseline"][key]
        print(f"{key:<18}{a:>12.1f}{b:>12.1f}{ratios.get(key, float('nan')):>8.2f}")
    print(
        f"{'burst_intact':<18}{rows['asamblea']['burst_intact']!s:>12}"
        f"{rows['baseline']['burst_intact']!s:>12}"
    )
    print(
        f"({results['messages']} mirrored messages each; bursts of "
        f"{results['burst_messages']} from four people)"
    )
    export = results.get("minutes_export")
    if export:
        print(
            f"minutes export (HTML, both languages, transcript) of a meeting of "
            f"{export['messages']} messages: {export['seconds']:.2f} s"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--per-person", type=int, default=50)
    parser.add_argument("--minutes-messages", type=int, default=5000)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results.json"))
    args = parser.parse_args()
    asyncio.run(run(args.messages, args.per_person, args.minutes_messages, args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
