"""Every delayed job runs through one Timers service: by name, in a task and transaction of its
own, after the first sync when asked, retried when asked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.services.timers import Timers
from bot.storage.database import Database
from tests.harness.time_machine import TimeMachine

NOON = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    database = await Database.open(":memory:")
    try:
        yield database
    finally:
        await database.close()


class Recorder:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.runs: list[str] = []
        self.in_transaction: list[bool] = []

    def job(self, label: str, again: datetime | None = None, fail: bool = False) -> Any:
        async def run() -> datetime | None:
            self.runs.append(label)
            self.in_transaction.append(self.db.in_transaction)
            if fail:
                raise RuntimeError("the job broke")
            return again

        return run


async def test_a_job_of_the_same_name_replaces_the_earlier_one_and_can_be_cancelled(
    db: Database,
) -> None:
    machine, woken = TimeMachine(), []
    timers = Timers(machine, db.transaction, wake=lambda: woken.append(1), clock=machine.now)
    jobs = Recorder(db)
    timers.at("timebox:1", machine.now(), jobs.job("first"))
    timers.at("timebox:1", machine.now(), jobs.job("second"))
    timers.at("turn-limit:1", machine.now(), jobs.job("turn"))
    timers.cancel("turn-limit:1")
    timers.cancel("never-armed")  # nothing to cancel is no error
    assert await machine.run_due() == 1
    assert jobs.runs == ["second"] and jobs.in_transaction == [True] and woken == [1]


async def test_a_past_time_runs_at_once_and_a_job_may_ask_to_run_again(db: Database) -> None:
    machine = TimeMachine()
    timers = Timers(machine, db.transaction, clock=machine.now)
    jobs = Recorder(db)
    later = machine.now() + timedelta(hours=1)
    timers.at("schedule:1", machine.now() - timedelta(days=1), jobs.job("wake", again=later))
    assert machine.jobs["schedule:1"].run_date >= machine.now() - timedelta(seconds=1)
    assert await machine.run_due() == 1
    assert machine.jobs["schedule:1"].run_date == later


async def test_a_failed_job_is_logged_and_retried_only_when_asked(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    machine = TimeMachine()
    timers = Timers(machine, db.transaction, clock=machine.now)
    jobs = Recorder(db)
    timers.at("action:1", machine.now(), jobs.job("once", fail=True))
    timers.at(
        "schedule:2", machine.now(), jobs.job("retry", fail=True), retry_after=timedelta(seconds=30)
    )
    await machine.run_due()
    assert "the timer action:1 failed" in caplog.text
    assert list(machine.jobs) == ["schedule:2"]


async def test_a_job_waits_for_the_first_sync_when_asked(db: Database) -> None:
    machine, synced = TimeMachine(), asyncio.Event()
    timers = Timers(machine, db.transaction, ready=synced.wait, clock=machine.now)
    jobs = Recorder(db)
    timers.at("timebox:1", machine.now(), jobs.job("timebox"), after_first_sync=False)
    await machine.run_due()
    assert jobs.runs == ["timebox"]  # before any sync
    timers.at("poll-deadline-1", machine.now(), jobs.job("deadline"))
    running = asyncio.create_task(machine.run_due())
    await asyncio.sleep(0.05)
    assert jobs.runs == ["timebox"]
    synced.set()
    await running
    assert jobs.runs == ["timebox", "deadline"]
