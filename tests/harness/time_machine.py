"""Time a test moves on by hand, for the bot's timers: no waiting for the wall clock.

The clock runs with the wall clock, shifted by however far the test has moved it on. The scheduler
keeps jobs until the test runs those that are due. Like the real one, it keeps them only while the
bot runs: a restart rebuilds them from the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any


class TimeMachine:
    def __init__(self) -> None:
        self._ahead = timedelta(0)
        self.jobs: dict[str, tuple[datetime, Callable[..., Any], tuple[Any, ...]]] = {}

    # -- the clock ----------------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC) + self._ahead

    def move_to(self, when: datetime) -> None:
        """From now on the clock reads `when`, and runs on from there."""
        if when < self.now():
            raise ValueError("time only moves forward")
        self._ahead = when - datetime.now(UTC)

    async def run_due(self) -> int:
        """Run every job due by now, each in a task of its own as the real scheduler does; a job
        that a job re-arms for a time already reached runs too. Returns how many ran."""
        ran = 0
        while due := [job_id for job_id, (when, _, _) in self.jobs.items() if when <= self.now()]:
            for job_id in due:
                _, func, args = self.jobs.pop(job_id)
                await asyncio.create_task(func(*args))
                ran += 1
        return ran

    # -- the part of APScheduler's AsyncIOScheduler the bot uses --------------------------------

    def add_job(
        self,
        func: Callable[..., Any],
        trigger: str,
        *,
        id: str,
        run_date: datetime,
        args: tuple[Any, ...] = (),
        **_options: Any,
    ) -> None:
        assert trigger == "date"
        self.jobs[id] = (run_date, func, args)  # replaces a job of the same name

    def remove_job(self, job_id: str, jobstore: str | None = None) -> None:
        del self.jobs[job_id]  # a KeyError, as APScheduler's JobLookupError is one

    def start(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        self.jobs.clear()
