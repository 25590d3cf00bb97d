"""One aiosqlite connection, WAL, foreign keys, and transactions serialized by one lock.

Statements from different tasks would interleave on a shared connection, so every write happens
under an asyncio lock: inside `transaction()`, or, for a write that is one statement, alone under
the lock (SQLite makes a single statement atomic by itself, so it needs no BEGIN and COMMIT). The
task that is already inside a transaction joins it instead of deadlocking, which lets services
compose without knowing who opened it. The owner is the task itself, not a context variable:
tasks and timers started from inside a transaction copy the context, and must wait for the lock
like everyone else.

Every statement is counted (`statements`): each is a round trip to the connection's thread, and
the number a message costs is held to a budget by a test.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.migrations import MIGRATIONS, Migration
from bot.storage.private_files import new_folders, private_database

log = logging.getLogger(__name__)

# SQLite caps the parameters of one statement; long lists of ids go in chunks of this size.
CHUNK = 500


def in_chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class DatabaseTooNew(Exception):
    """The database was written by a newer Asamblea; refusing protects its data."""


class Database:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._conn = connection
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None
        self._savepoints = 0
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        # How many writes have ended (transactions committed or rolled back, and writes of one
        # statement run alone): a reader that finds the
        # same number as before has nothing new to read (the meeting board asks, many times a
        # second, rather than be told by every writer).
        self._ended = 0
        # Statements run on the connection since it was opened, BEGIN and COMMIT included.
        self.statements = 0

    @classmethod
    async def open(cls, path: Path | str, migrations: Sequence[Migration] = MIGRATIONS) -> Database:
        if str(path) != ":memory:":
            new_folders(Path(path).parent)
            private_database(Path(path))
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA synchronous=NORMAL")
        # What is deleted is overwritten with zeros, not merely unlinked: a secret poll's erased
        # ballots must not be readable from free pages of the file later.
        await conn.execute("PRAGMA secure_delete=ON")
        database = cls(conn)
        try:
            await database.migrate(migrations)
        except BaseException:
            await conn.close()  # a refused or failed migration leaves no connection behind
            raise
        return database

    async def close(self) -> None:
        await self._conn.close()

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self, migrations: Sequence[Migration]) -> None:
        current = await self.schema_version()
        latest = len(migrations)
        if current > latest:
            raise DatabaseTooNew(
                f"the database is at schema version {current}, but this Asamblea only knows "
                f"up to {latest}; upgrade Asamblea or use another database file"
            )
        for version, migration in enumerate(migrations[current:], start=current + 1):
            async with self.transaction():
                await migration(self)
                await self._run(f"PRAGMA user_version={version}")
            log.info("database migrated to version %d", version)

    @property
    def transactions_ended(self) -> int:
        return self._ended

    @property
    def in_transaction(self) -> bool:
        """Whether some task holds a transaction open right now."""
        return self._owner is not None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            yield
            return
        async with self._lock:
            self._owner = task
            try:
                await self._begin()
                try:
                    yield
                except BaseException:
                    await self._run_through("ROLLBACK")
                    raise
                await self._run_through("COMMIT")
                await self._run_after_commit()
            finally:
                self._owner = None
                self._after_commit.clear()
                self._ended += 1

    async def _begin(self) -> None:
        try:
            await self._run_through("BEGIN IMMEDIATE")
        except asyncio.CancelledError:
            await self._run_through("ROLLBACK")  # it began all the same: end it
            raise

    async def _run_through(self, sql: str) -> None:
        """Run BEGIN, COMMIT or ROLLBACK to its end even if the task is cancelled meanwhile (a
        shutdown cancels every task): cut off, the statement still runs on the connection's
        thread and would leave a transaction open that nobody owns."""
        step = asyncio.ensure_future(self._run(sql))
        try:
            await asyncio.shield(step)
        except asyncio.CancelledError:
            await step
            raise

    def after_commit(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run `action` once the current transaction has committed (dropped if it rolls back)."""
        self._after_commit.append(action)

    def on_commit(self, change: Callable[[], object]) -> None:
        """Make `change` (to what is kept in memory beside the database) once the calling task's
        writes are committed: at once if it holds no transaction, else after its commit, and
        never if it rolls back. Memory then follows the database, never runs ahead of it."""
        task = asyncio.current_task()
        if task is None or self._owner is not task:
            change()
            return

        async def apply() -> None:
            change()

        self._after_commit.append(apply)

    async def _run_after_commit(self) -> None:
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            try:
                await action()
            except Exception:
                log.exception("an action after a commit failed")

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty it, so that the old versions
        of pages it held (erased ballots among them) are gone from the disk too."""
        await self._run("PRAGMA wal_checkpoint(TRUNCATE)")

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Inside a transaction: undo only this block's writes if it raises."""
        async with self.transaction():
            self._savepoints += 1
            name = f"sp{self._savepoints}"
            # What the block asks to do after the commit is undone with its writes.
            undo_from = len(self._after_commit)
            await self._run(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                await self._run(f"ROLLBACK TO {name}")
                await self._run(f"RELEASE {name}")
                del self._after_commit[undo_from:]
                raise
            else:
                await self._run(f"RELEASE {name}")

    @asynccontextmanager
    async def _one_statement(self) -> AsyncIterator[None]:
        """For a write that is a single statement: inside the caller's transaction if it holds
        one, else alone under the lock, where SQLite commits it by itself."""
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            yield
            return
        async with self._lock:
            try:
                yield
            finally:
                self._ended += 1  # a write of its own ends like a transaction, for the board

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Cursor:
        self.statements += 1
        return await self._conn.execute(sql, params)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one write; returns lastrowid."""
        async with self._one_statement():
            cursor = await self._run(sql, params)
            return cursor.lastrowid or 0

    async def execute_rowcount(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._one_statement():
            cursor = await self._run(sql, params)
            return cursor.rowcount

    async def execute_returning(
        self, sql: str, params: Sequence[Any] = ()
    ) -> list[aiosqlite.Row]:
        """Run one write with a RETURNING clause; returns the rows it gave back."""
        async with self._one_statement():
            self.statements += 1
            return list(await self._conn.execute_fetchall(sql, params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        # One statement run for each row: in a transaction, so that they are written together.
        async with self.transaction():
            self.statements += 1
            await self._conn.executemany(sql, rows)

    async def executescript(self, script: str) -> None:
        # executescript would COMMIT our open transaction, so run statements one by one.
        for statement in (s.strip() for s in script.split(";")):
            if statement:
                await self._run(statement)

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        # One round trip to the connection's thread: the statement and its rows together.
        self.statements += 1
        return list(await self._conn.execute_fetchall(sql, params))
