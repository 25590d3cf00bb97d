"""A meeting to measure with: four people in paired rooms, what they say, and what reached whom.

alice and carol sit in the English room of every pair, beto and dani in the Spanish one. Each
person notes when every event first reached them, so that overlapping messages can be timed
one by one: a copy's latency is the time from its original's send response to the sync that
brought the copy to someone in the other room.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nio import Event

from tests.harness.bot_runner import RoomPair
from tests.harness.person import Person, Recorded, content_of

ENGLISH_SPEAKERS = ("alice", "carol")
SPANISH_SPEAKERS = ("beto", "dani")
# Whose turn it is, in order: the rooms alternate, so copies flow both ways at once.
TURNS = ("alice", "beto", "carol", "dani")
_unique = itertools.count()


class TimedPerson(Person):
    """A Person who also notes when each event first reached them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen_at: dict[str, float] = {}

    def _record(self, new: Iterable[Recorded]) -> None:
        now = time.perf_counter()
        new = list(new)
        for _, event in new:
            event_id = event.source.get("event_id")
            if isinstance(event_id, str):
                self.seen_at.setdefault(event_id, now)
        super()._record(new)

    def arrival(self, event: Event) -> float:
        return self.seen_at[event.source["event_id"]]


@dataclass
class Contender:
    """One bot under test: its process, its room pairs, how to recognise its copies."""

    name: str
    process: subprocess.Popen[bytes]
    pairs: list[RoomPair]
    copy_key: str  # content key whose "source" names the copied event
    command: str  # a command answered with a reply
    metrics_url: str | None = None  # Asamblea's /metrics

    def source_of(self, event: Event) -> str | None:
        """The original a copy stands for (None for anything but a first copy: edits too)."""
        content = content_of(event)
        if "rel_type" in (content.get("m.relates_to") or {}):
            return None
        source = (content.get(self.copy_key) or {}).get("source")
        return source if isinstance(source, str) else None

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def cpu_seconds(self) -> float:
        """User and system CPU the process has used so far, all its threads."""
        return _cpu_seconds(Path(f"/proc/{self.process.pid}/stat"))

    def loop_cpu_seconds(self) -> float:
        """The same, of the main thread alone: the event loop's (the database's and the
        translator's threads are the rest)."""
        pid = self.process.pid
        return _cpu_seconds(Path(f"/proc/{pid}/task/{pid}/stat"))

    def statements(self) -> int | None:
        """SQLite statements the bot has run so far (None for a bot that keeps no database)."""
        if self.metrics_url is None:
            return None
        with urllib.request.urlopen(self.metrics_url, timeout=10) as response:
            text = response.read().decode()
        line = next(x for x in text.splitlines() if x.startswith("asamblea_database_statements "))
        return int(float(line.split()[1]))

    def healthy(self) -> bool:
        """Whether Asamblea's /health answers 200: it has synced, and serves."""
        if self.metrics_url is None:
            return False
        url = self.metrics_url.removesuffix("/metrics") + "/health"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def _cpu_seconds(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Seating:
    """Which rooms pair up, and who sits in which."""

    pairs: Sequence[RoomPair]

    def counterpart(self, room_id: str) -> str:
        for pair in self.pairs:
            if room_id == pair.english:
                return pair.spanish
            if room_id == pair.spanish:
                return pair.english
        raise KeyError(room_id)

    def is_english(self, room_id: str) -> bool:
        return any(room_id == pair.english for pair in self.pairs)

    def reader(self, room_id: str) -> str:
        """Someone who sits in `room_id` (and so sees everything posted there)."""
        return "alice" if self.is_english(room_id) else "beto"

    def room_of(self, speaker: str, pair: RoomPair) -> str:
        return pair.english if speaker in ENGLISH_SPEAKERS else pair.spanish


@dataclass(frozen=True)
class Line:
    """Something one person says, in a room, at a moment of the plan."""

    speaker: str
    room_id: str
    text: str
    is_command: bool = False


@dataclass(frozen=True)
class Said:
    line: Line
    event_id: str
    started: float  # when the send was made
    answered: float  # when the homeserver answered it


@dataclass
class Talk:
    """What was said and when the copies and answers came."""

    said: list[Said] = field(default_factory=list)
    marks: dict[str, int] = field(default_factory=dict)  # where each person's log stood before
    copy_seen: dict[str, float] = field(default_factory=dict)
    answer_seen: dict[str, float] = field(default_factory=dict)

    @property
    def messages(self) -> list[Said]:
        return [s for s in self.said if not s.line.is_command]

    @property
    def commands(self) -> list[Said]:
        return [s for s in self.said if s.line.is_command]

    def latencies(self) -> list[float]:
        return [self.copy_seen[s.event_id] - s.answered for s in self.messages]

    def round_trips(self) -> list[float]:
        return [self.answer_seen[s.event_id] - s.started for s in self.commands]

    def send_seconds(self) -> float:
        """From the first send to the last answer: how long the talking itself took."""
        return max(s.answered for s in self.said) - min(s.started for s in self.said)

    def drain_seconds(self) -> float:
        """From the first send to the last copy seen."""
        return max(self.copy_seen.values()) - min(s.started for s in self.said)


def unique_text(speaker: str, topic: str, language: str = "en") -> str:
    """Words no one said before, so that no translation cache can answer for the provider, in
    the language of the speaker's room (a message in the other language would also get a
    companion translation in its own room)."""
    if language == "es":
        return f"{speaker} habla de la propuesta {topic}, que es el punto {next(_unique)}"
    return f"{speaker} on the proposal {topic} point {next(_unique)}"


def turns(pairs: Sequence[RoomPair], count: int, topic: str) -> list[Line]:
    """`count` messages, the speakers taking turns and the pairs round-robin."""
    seating = Seating(pairs)
    lines = []
    for n in range(count):
        speaker = TURNS[n % len(TURNS)]
        pair = pairs[n % len(pairs)]
        room = seating.room_of(speaker, pair)
        language = "en" if seating.is_english(room) else "es"
        lines.append(Line(speaker, room, unique_text(speaker, topic, language)))
    return lines


def every(interval: float, lines: Sequence[Line]) -> list[tuple[float, Line]]:
    """A schedule: one line each `interval` seconds."""
    return [(n * interval, line) for n, line in enumerate(lines)]


async def say(person: Person, line: Line, command: str) -> Said:
    started = time.perf_counter()
    event_id = await person.send_text(line.room_id, command if line.is_command else line.text)
    return Said(line, event_id, started, time.perf_counter())


async def say_on_schedule(
    people: dict[str, TimedPerson], schedule: Sequence[tuple[float, Line]], command: str = ""
) -> list[Said]:
    """Each line is sent at its moment, whether or not the ones before were answered."""
    begin = time.perf_counter()

    async def in_turn(moment: float, line: Line) -> Said:
        await asyncio.sleep(max(0.0, begin + moment - time.perf_counter()))
        return await say(people[line.speaker], line, command)

    return list(await asyncio.gather(*(in_turn(moment, line) for moment, line in schedule)))


async def await_copies(
    contender: Contender,
    people: dict[str, TimedPerson],
    seating: Seating,
    said: Sequence[Said],
    marks: dict[str, int],
    timeout: float = 120.0,
) -> dict[str, float]:
    """Original event id -> when its copy reached someone in the other room."""
    seen: dict[str, float] = {}
    for watcher in {seating.reader(seating.counterpart(s.line.room_id)) for s in said}:
        person = people[watcher]
        expected = {
            s.event_id
            for s in said
            if seating.reader(seating.counterpart(s.line.room_id)) == watcher
        }

        def copied(
            room_id: str, event: Event, person: TimedPerson = person, expected: set = expected
        ) -> bool:
            source = contender.source_of(event)
            if source in expected:
                seen.setdefault(source, person.arrival(event))
            return expected <= seen.keys()

        if expected:
            await person.wait_for(copied, since=marks[watcher], timeout=timeout)
    return seen


async def await_answers(
    contender: Contender,
    people: dict[str, TimedPerson],
    commands: Sequence[Said],
    marks: dict[str, int],
    timeout: float = 120.0,
) -> dict[str, float]:
    """Command event id -> when its answer reached the person who asked."""
    seen: dict[str, float] = {}
    for asked in commands:
        person = people[asked.line.speaker]
        answer = await person.wait_for(
            answer_to(asked.event_id), since=marks[asked.line.speaker], timeout=timeout
        )
        seen[asked.event_id] = person.arrival(answer)
    return seen


def answer_to(event_id: str) -> Callable[[str, Event], bool]:
    def match(room_id: str, event: Event) -> bool:
        relation = content_of(event).get("m.relates_to") or {}
        return (relation.get("m.in_reply_to") or {}).get("event_id") == event_id

    return match


async def talk(
    contender: Contender,
    people: dict[str, TimedPerson],
    seating: Seating,
    schedule: Sequence[tuple[float, Line]],
) -> Talk:
    """Say the lines on their schedule and wait for every copy and every answer."""
    marks = {name: person.mark() for name, person in people.items()}
    said = await say_on_schedule(people, schedule, contender.command)
    result = Talk(said, marks)
    result.copy_seen = await await_copies(contender, people, seating, result.messages, marks)
    result.answer_seen = await await_answers(contender, people, result.commands, marks)
    return result


async def copied_once_in_order(
    contender: Contender,
    people: dict[str, TimedPerson],
    seating: Seating,
    talk: Talk,
) -> bool:
    """Each original has exactly one copy, and each room's copies keep its originals' order."""
    said, marks = talk.messages, talk.marks
    # A duplicate sent just after the last copy would show by now.
    await asyncio.gather(*(person.next_sync() for person in people.values()))
    for room_id in {s.line.room_id for s in said}:
        ours = {s.event_id for s in said if s.line.room_id == room_id}
        target = seating.counterpart(room_id)
        speaker_view = people[seating.reader(room_id)].events[marks[seating.reader(room_id)] :]
        originals = [_id(e) for r, e in speaker_view if r == room_id and _id(e) in ours]
        watcher = seating.reader(target)
        copies = [
            source
            for r, e in people[watcher].events[marks[watcher] :]
            if r == target and (source := contender.source_of(e)) in ours
        ]
        if copies != originals or len(originals) != len(ours):
            return False
    return True


async def copied_once_in_order_per_person(
    contender: Contender,
    people: dict[str, TimedPerson],
    seating: Seating,
    talk: Talk,
) -> bool:
    """Each original has exactly one copy, and each person's copies keep the order that
    person said them in (people taking turns may interleave differently from the originals)."""
    said = talk.messages
    await asyncio.gather(*(person.next_sync() for person in people.values()))
    for room_id in {s.line.room_id for s in said}:
        target = seating.counterpart(room_id)
        watcher = seating.reader(target)
        ours = {s.event_id: s.line.speaker for s in said if s.line.room_id == room_id}
        copies = [
            source
            for r, e in people[watcher].events[talk.marks[watcher] :]
            if r == target and (source := contender.source_of(e)) in ours
        ]
        if sorted(copies) != sorted(ours):
            return False
        for speaker in set(ours.values()):
            theirs = [event_id for event_id, who in ours.items() if who == speaker]
            if [c for c in copies if ours[c] == speaker] != theirs:
                return False
    return True


def _id(event: Event) -> str | None:
    return event.source.get("event_id")


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": statistics.median(values) * 1000,
        "p95_ms": percentile(values, 0.95) * 1000,
        "max_ms": max(values) * 1000,
    }
