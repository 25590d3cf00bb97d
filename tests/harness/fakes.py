"""The Matrix side and the passing of time, faked once for every test that runs without a
homeserver: who sits in which room (`Seats`), a scheduler that keeps its jobs until the test runs
them (`Scheduler`), and a clock that moves only when the test moves it (`Clock`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Seats:
    """The fake of `bot.domain.membership.Membership`: who sits in which room, with their display
    names and power levels.

    `seats` maps a room id to its members' user ids and display names; `power` maps
    (room id, user id) to a power level, 0 for anyone not listed; `room_names` maps a room id
    to its name (a room not listed goes by its id).
    """

    def __init__(
        self,
        seats: Mapping[str, Mapping[str, str]],
        power: Mapping[tuple[str, str], int] | None = None,
        room_names: Mapping[str, str] | None = None,
    ) -> None:
        self._seats = seats
        self._power = power or {}
        self._room_names = room_names or {}

    def room_name(self, room_id: str) -> str:
        return self._room_names.get(room_id, room_id)

    def display_name(self, room_id: str, user_id: str) -> str:
        return self._seats.get(room_id, {}).get(user_id, user_id)

    def is_member(self, room_id: str, user_id: str) -> bool:
        return user_id in self._seats.get(room_id, {})

    def power_level(self, room_id: str, user_id: str) -> int:
        return self._power.get((room_id, user_id), 0)

    def members(self, room_id: str) -> list[str]:
        return list(self._seats.get(room_id, {}))


@dataclass
class Job:
    """One job as it was handed to `add_job`."""

    func: Callable[..., Any]
    trigger: str
    args: tuple[Any, ...]
    run_date: datetime
    # Every other keyword the service passed (misfire_grace_time, replace_existing, …).
    options: dict[str, Any]


@dataclass
class Scheduler:
    """Keeps jobs instead of running them; the test fires them when it wants."""

    jobs: dict[str, Job] = field(default_factory=dict)

    def add_job(
        self,
        func: Callable[..., Any],
        trigger: str,
        *,
        id: str,
        run_date: datetime,
        args: tuple[Any, ...] = (),
        **options: Any,
    ) -> None:
        self.jobs[id] = Job(func, trigger, tuple(args), run_date, options)

    def remove_job(self, job_id: str, jobstore: str | None = None) -> None:
        self.jobs.pop(job_id, None)

    async def fire(self, job_id: str) -> None:
        """Run a job as the scheduler would, and keep it: firing it again is a late duplicate
        wake-up, which a job must survive."""
        job = self.jobs[job_id]
        await job.func(*job.args)

    async def run_due(self, now: datetime) -> int:
        """Run every job due by `now`, each in a task of its own as APScheduler does, dropping
        each before it runs (a date trigger fires once); a job that a job re-arms for a time
        already reached runs too. Returns how many ran."""
        ran = 0
        while due := [job_id for job_id, job in self.jobs.items() if job.run_date <= now]:
            for job_id in due:
                job = self.jobs.pop(job_id)
                await asyncio.create_task(job.func(*job.args))
                ran += 1
        return ran


class Clock:
    """Time that moves only when the test moves it, read in whichever unit a service expects:
    pass `clock.ms`, `clock.seconds` or `clock.utc` where the service takes a clock."""

    def __init__(self, start: datetime | float = 1_700_000_000) -> None:
        # Whole microseconds, so that moving by seconds or milliseconds never drifts.
        self._us = 0
        self.set(start)

    def set(self, moment: datetime | float) -> None:
        """Jump to a moment: a timezone-aware datetime, or seconds since the epoch."""
        seconds = moment.timestamp() if isinstance(moment, datetime) else moment
        self._us = round(seconds * 1_000_000)

    def advance(self, seconds: float) -> None:
        self._us += round(seconds * 1_000_000)

    def ms(self) -> int:
        """Milliseconds since the epoch, as Matrix timestamps are."""
        return self._us // 1000

    def seconds(self) -> float:
        return self._us / 1_000_000

    def utc(self) -> datetime:
        return EPOCH + timedelta(microseconds=self._us)
