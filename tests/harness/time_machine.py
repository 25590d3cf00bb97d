"""Time a test moves on by hand, for the bot's timers on the real homeserver: no waiting for the
wall clock.

The clock runs with the wall clock, shifted by however far the test has moved it on. The
scheduler is the shared fake one: it keeps jobs until the test runs those that are due. Like the
real one, it keeps them only while the bot runs: a restart rebuilds them from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tests.harness.fakes import Scheduler


@dataclass
class TimeMachine(Scheduler):
    _ahead: timedelta = field(default=timedelta(0))

    def now(self) -> datetime:
        return datetime.now(UTC) + self._ahead

    def move_to(self, when: datetime) -> None:
        """From now on the clock reads `when`, and runs on from there."""
        if when < self.now():
            raise ValueError("time only moves forward")
        self._ahead = when - datetime.now(UTC)

    async def run_due(self, now: datetime | None = None) -> int:
        """Run every job due by now (by the machine's clock)."""
        return await super().run_due(now or self.now())

    # -- the rest of APScheduler's AsyncIOScheduler that the bot uses ---------------------------

    def start(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        self.jobs.clear()
