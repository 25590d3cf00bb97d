"""What the bot keeps in memory beside the database (the open meeting, who holds the floor, the
mirror's lanes…) changes once the database has committed, and never for a write rolled back:
`Database.on_commit`, and the caches built on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.storage.database import Database
from tests.harness.events import said_in
from tests.unit.test_statement_budget import CONFIG, EN, SEATS, Meeting, event, offline_core


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    opened = await Database.open(":memory:")
    yield opened
    await opened.close()


async def test_a_change_outside_a_transaction_is_made_at_once(db: Database) -> None:
    seen: list[str] = []
    db.on_commit(lambda: seen.append("now"))
    assert seen == ["now"]


async def test_a_change_waits_for_the_commit(db: Database) -> None:
    seen: list[str] = []
    async with db.transaction():
        await db.execute("INSERT INTO kv (key, value) VALUES ('a', '1')")
        db.on_commit(lambda: seen.append("committed"))
        assert seen == []
    assert seen == ["committed"]


async def test_a_change_is_never_made_for_a_rollback(db: Database) -> None:
    seen: list[str] = []
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute("INSERT INTO kv (key, value) VALUES ('a', '1')")
            db.on_commit(lambda: seen.append("committed"))
            raise RuntimeError("a bug")
    assert seen == []


async def test_a_savepoint_rolled_back_takes_its_changes_with_it(db: Database) -> None:
    seen: list[str] = []
    async with db.transaction():
        db.on_commit(lambda: seen.append("kept"))
        with pytest.raises(RuntimeError):
            async with db.savepoint():
                db.on_commit(lambda: seen.append("undone"))
                raise RuntimeError("a bug")
    assert seen == ["kept"]


async def test_a_write_of_one_statement_counts_for_the_board(db: Database) -> None:
    """The board reads again only when a write has ended since it last looked."""
    before = db.transactions_ended
    await db.execute("INSERT INTO kv (key, value) VALUES ('a', '1')")
    assert db.transactions_ended > before


async def test_the_floor_kept_in_memory_follows_the_turns(db: Database) -> None:
    """alice speaks, then carol: each one's words note their own turn's last word, never a
    turn that has ended."""
    meeting = Meeting(db, offline_core(db, CONFIG, SEATS))

    async def said(n: int, sender: str, body: str) -> None:
        await meeting.statements_for(said_in(EN, n, sender, body))

    await said(1, "@carol:test", "!startmeeting Budget")
    await said(2, "@alice:test", "!hand")
    await said(3, "@carol:test", "!hand")
    await said(4, "@carol:test", "!call")
    await meeting.statements_for(event(5))  # alice has the floor: her word is noted
    await said(6, "@carol:test", "!call")
    await meeting.statements_for(event(7))  # alice again, her turn is over
    await meeting.statements_for(event(8, "@carol:test"))
    turns = await db.fetch_all("SELECT user_id, ended_at, last_word_at FROM turns ORDER BY id")
    alice, carol = (dict(row) for row in turns)
    assert alice["user_id"] == "@alice:test" and carol["user_id"] == "@carol:test"
    assert alice["last_word_at"] is not None and alice["ended_at"] is not None
    assert alice["last_word_at"] <= alice["ended_at"]  # nothing noted after her turn ended
    assert carol["last_word_at"] is not None and carol["ended_at"] is None
