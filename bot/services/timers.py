"""Every delayed job of the assembly: timeboxes, turn limits, reminders and poll deadlines.

The database is the source of truth and the scheduler only says when to look again: each service
re-arms its jobs from the database at start-up (its `restore`), and a job that fires for something
already handled finds nothing to do. A job runs in a task of its own (the scheduler starts one for
each run) and so in a transaction of its own, whatever transaction was open when it was scheduled:
transactions belong to the task that opened them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

log = logging.getLogger(__name__)

# A job's answer: when to run it again, or None when it is done.
Job = Callable[[], Awaitable[datetime | None]]


class JobScheduler(Protocol):
    """The part of APScheduler's AsyncIOScheduler used here."""

    def add_job(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...
    def remove_job(self, job_id: str, jobstore: str | None = None) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def instant(ms: int) -> datetime:
    """A timestamp in milliseconds (as stored in the database) as an aware datetime."""
    return datetime.fromtimestamp(ms / 1000, UTC)


async def _no_wait() -> None:
    return None


@dataclass(frozen=True)
class _Run:
    """How one named job runs when due."""

    name: str
    job: Job
    after_first_sync: bool
    retry_after: timedelta | None


class Timers:
    def __init__(
        self,
        scheduler: JobScheduler,
        transaction: Callable[[], AbstractAsyncContextManager[None]],
        *,
        ready: Callable[[], Awaitable[Any]] = _no_wait,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """`ready` resolves once the first sync is done; `wake` tells the sender that a job may
        have queued messages; `clock` is what "now" is (a test may set it)."""
        self._scheduler = scheduler
        self._transaction = transaction
        self._ready = ready
        self._wake = wake
        self.clock = clock

    def at(
        self,
        name: str,
        when: datetime,
        job: Job,
        *,
        after_first_sync: bool = True,
        retry_after: timedelta | None = None,
    ) -> None:
        """Run `job` at `when` (at once if that has passed), replacing any job of that name.

        `after_first_sync`: wait until the first sync has brought in what happened while the
        bot was down. `retry_after`: if the job fails, run it again that much later (otherwise
        the failure is only logged)."""
        self._arm(_Run(name, job, after_first_sync, retry_after), when)

    def cancel(self, name: str) -> None:
        # APScheduler's JobLookupError (a KeyError): it already ran, or never was.
        with suppress(KeyError):
            self._scheduler.remove_job(name)

    def _arm(self, run: _Run, when: datetime) -> None:
        self._scheduler.add_job(
            self._run,
            "date",
            args=(run,),
            id=run.name,
            replace_existing=True,
            run_date=max(when, self.clock()),
            misfire_grace_time=None,  # late (the bot was down) is better than never
        )

    async def _run(self, run: _Run) -> None:
        if run.after_first_sync:
            await self._ready()
        try:
            async with self._transaction():
                again = await run.job()
        except Exception:
            log.exception("the timer %s failed", run.name)
            again = self.clock() + run.retry_after if run.retry_after is not None else None
        self._wake()
        if again is not None:
            self._arm(run, again)
