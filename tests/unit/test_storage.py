"""The database: migrations, refusing a newer schema, and all-or-nothing transactions."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from bot.domain.mirror import MirrorText
from bot.domain.polls import Poll
from bot.domain.stack import StackPolicy
from bot.domain.tally import PollKind
from bot.storage.database import Database, DatabaseTooNew
from bot.storage.meetings_store import MeetingsStore
from bot.storage.migrations import MIGRATIONS
from bot.storage.mirror_store import MirrorStore, SqliteTranslationCache
from bot.storage.polls_store import PollsStore
from bot.storage.runtime_store import RuntimeStore


async def test_a_new_database_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    assert await db.schema_version() == len(MIGRATIONS)
    row = await db.fetch_one("PRAGMA journal_mode")
    assert row[0] == "wal"
    row = await db.fetch_one("PRAGMA foreign_keys")
    assert row[0] == 1
    await db.close()


async def test_a_database_from_a_newer_asamblea_is_refused(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    await db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    await db.close()
    with pytest.raises(DatabaseTooNew):
        await Database.open(tmp_path / "a.db")


async def test_a_failing_migration_leaves_no_trace(tmp_path: Path) -> None:
    async def broken(db: Database) -> None:
        await db.executescript("CREATE TABLE half (x INTEGER)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await Database.open(tmp_path / "a.db", [*MIGRATIONS, broken])
    db = await Database.open(tmp_path / "a.db")
    assert await db.schema_version() == len(MIGRATIONS)
    assert await db.fetch_one("SELECT name FROM sqlite_master WHERE name = 'half'") is None
    await db.close()


async def test_a_savepoint_undoes_only_its_own_writes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    async with db.transaction():
        await store.set_value("kept", "1")
        with pytest.raises(ValueError):
            async with db.savepoint():
                await store.set_value("undone", "1")
                raise ValueError("bad input")
    assert await store.get_value("kept") == "1"
    assert await store.get_value("undone") is None
    await db.close()


async def test_an_event_is_handled_once_and_a_message_queued_once(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    assert await store.mark_handled("$e1", "!r") is True
    assert await store.mark_handled("$e1", "!r") is False
    first = await store.enqueue("!r", "m.room.message", {"body": "hi"}, txn_id="t1")
    again = await store.enqueue("!r", "m.room.message", {"body": "hi"}, txn_id="t1")
    assert first == again
    assert [m.txn_id for m in await store.pending()] == ["t1"]
    await store.mark_sent(first, "$sent")
    assert await store.pending() == []
    await db.close()


async def test_a_task_started_inside_a_transaction_waits_for_it(tmp_path: Path) -> None:
    """A timer or task created while a transaction is open copies the context; it must still
    queue behind the transaction instead of slipping into it."""
    import asyncio

    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    order: list[str] = []

    async def later() -> None:
        async with db.transaction():
            order.append("task")
            await store.set_value("k", "task")

    async with db.transaction():
        task = asyncio.create_task(later())
        await asyncio.sleep(0.01)
        order.append("owner")
        await store.set_value("k", "owner")
    await task
    assert order == ["owner", "task"]
    assert await store.get_value("k") == "task"
    await db.close()


async def test_events_handled_long_ago_are_forgotten_and_recent_ones_kept(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    await store.mark_handled("$old", "!r")
    await db.execute("UPDATE handled_events SET handled_at = 1000 WHERE event_id = '$old'")
    await store.mark_handled("$new", "!r")
    assert await store.forget_handled_before(10_000) == 1
    assert not await store.is_handled("$old")
    assert await store.is_handled("$new")
    await db.close()


async def test_a_sent_message_keeps_its_event_id_but_not_its_content(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    row = await store.enqueue("!r", "m.room.message", {"body": "x" * 1000}, txn_id="t1")
    await store.mark_sent(row, "$sent")
    assert await store.sent_event_id(row) == "$sent"
    found = await db.fetch_one("SELECT content FROM outbox WHERE id = ?", (row,))
    assert found["content"] == "{}"
    await db.close()


async def test_old_sent_messages_are_pruned_unless_something_still_points_at_them(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    mirrors = MirrorStore(db)
    rows = {}
    for name in ("plain", "copy", "unsent", "recent"):
        rows[name] = await store.enqueue("!r", "m.room.message", {"body": name}, txn_id=name)
    for name in ("plain", "copy", "recent"):
        await store.mark_sent(rows[name], f"${name}")
    await db.execute("UPDATE outbox SET sent_at = 1000, created_at = 1000 WHERE txn_id != 'recent'")
    await mirrors.add_job("General", "$source", "!s", "message", {})
    [job] = await mirrors.waiting_jobs("General")
    await mirrors.add_copy(job, "!r", rows["copy"], MirrorText("hi", "hola", "es", "en", False))
    assert await store.forget_sent_before(10_000, [mirrors]) == 1
    left = {row["txn_id"] for row in await db.fetch_all("SELECT txn_id FROM outbox")}
    assert left == {"copy", "unsent", "recent"}
    await db.close()


async def test_a_stack_message_and_a_poll_start_keep_their_old_sent_messages(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "a.db")
    store, meetings, polls = RuntimeStore(db), MeetingsStore(db), PollsStore(db)
    rows = {}
    for name in ("plain", "stack", "poll"):
        rows[name] = await store.enqueue("!r", "m.room.message", {"body": name}, txn_id=name)
        await store.mark_sent(rows[name], f"${name}")
    await db.execute("UPDATE outbox SET sent_at = 1000, created_at = 1000")
    meeting = await meetings.create_meeting(
        assembly="General",
        title="Monthly",
        title_language="en",
        started_by="@alice:x",
        started_at=1000,
        stack_policy=StackPolicy.FIFO,
        turn_limit_seconds=None,
    )
    await meetings.remember_stack_message(meeting.id, "!r", rows["stack"])
    poll_id = await polls.create(
        Poll(
            assembly="General",
            meeting_id=meeting.id,
            kind=PollKind.YES_NO,
            rule=None,
            question="Rent the hall?",
            language="en",
            options=(),
            max_selections=1,
            secret=False,
            ballot_key=None,
            quorum=None,
            deadline_at=None,
            created_by="@alice:x",
            created_in="!r",
            source_event_id="$ask",
            created_at=1000,
        )
    )
    await polls.add_room(poll_id, "!r", "en", rows["poll"])
    assert await store.forget_sent_before(10_000, [meetings, polls, MirrorStore(db)]) == 1
    left = {row["txn_id"] for row in await db.fetch_all("SELECT txn_id FROM outbox")}
    assert left == {"stack", "poll"}
    await db.close()


async def test_finished_mirror_jobs_without_copies_and_the_oldest_translations_are_pruned(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    mirrors = MirrorStore(db)
    for source in ("$with-copy", "$edit", "$waiting"):
        await mirrors.add_job("General", source, "!s", "message", {})
    jobs = {job.source_event_id: job for job in await mirrors.waiting_jobs("General")}
    row = await store.enqueue("!r", "m.room.message", {"body": "copy"}, txn_id="copy")
    words = MirrorText("hi", "hola", "es", "en", False)
    await mirrors.add_copy(jobs["$with-copy"], "!r", row, words)
    for source in ("$with-copy", "$edit"):
        await mirrors.finish_job(jobs[source].id)
    await db.execute("UPDATE mirror_jobs SET done_at = 1000 WHERE done_at IS NOT NULL")
    assert await mirrors.forget_finished_jobs_before(10_000) == 1
    left = {row["source_event_id"] for row in await db.fetch_all("SELECT * FROM mirror_jobs")}
    assert left == {"$with-copy", "$waiting"}

    cache = SqliteTranslationCache(db)
    for n in range(5):
        await db.execute(
            "INSERT INTO translation_cache (provider, source, target, text, translated, "
            "created_at) VALUES ('libre', 'es', 'en', ?, ?, ?)",
            (f"texto {n}", f"text {n}", n),
        )
    assert await cache.keep_newest(2) == 3
    assert await cache.get("libre", "es", "en", "texto 4") == "text 4"
    assert await cache.get("libre", "es", "en", "texto 0") is None
    await db.close()


async def test_tasks_cancelled_in_the_middle_of_a_transaction_leave_none_open(
    tmp_path: Path,
) -> None:
    """A shutdown cancels every task, whatever it is doing: a transaction cut off while it
    begins, commits or rolls back must not leave the connection inside a transaction."""
    db = await Database.open(tmp_path / "a.db")

    async def writer(n: int) -> None:
        async with db.transaction():
            await db.execute("INSERT INTO kv (key, value) VALUES (?, 'v')", (f"k{n}",))

    for n in range(30):
        task = asyncio.create_task(writer(n))
        for _ in range(n % 4):
            await asyncio.sleep(0)  # cut it off at a different step each time
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    async with db.transaction():
        await db.execute("INSERT INTO kv (key, value) VALUES ('after', 'v')")
    assert await db.fetch_one("SELECT value FROM kv WHERE key = 'after'") is not None
    await db.close()
