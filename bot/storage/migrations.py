"""Schema migrations: one function per version, never edited once shipped; add a new one.

Each runs inside one transaction together with its `PRAGMA user_version` bump.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.storage.database import Database

Migration = Callable[["Database"], Awaitable[None]]


async def v1_runtime(db: Database) -> None:
    """What the Matrix runtime needs to survive a restart without losing or repeating work."""
    await db.executescript(
        """
        CREATE TABLE kv (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE handled_events (
            event_id TEXT PRIMARY KEY,
            room_id TEXT NOT NULL,
            handled_at INTEGER NOT NULL
        );
        CREATE TABLE room_joins (
            room_id TEXT PRIMARY KEY,
            joined_ts INTEGER NOT NULL
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            txn_id TEXT NOT NULL UNIQUE,
            room_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            content TEXT NOT NULL,
            purpose TEXT NOT NULL DEFAULT 'reply',
            source_event_id TEXT,
            event_id TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            sent_at INTEGER
        );
        CREATE INDEX outbox_pending ON outbox (id) WHERE event_id IS NULL AND failed = 0;
        CREATE INDEX outbox_source ON outbox (source_event_id, room_id);
        """
    )


async def v2_meetings(db: Database) -> None:
    """Meetings, chairs, attendance, agenda, speaker stack and turns."""


async def v3_polls(db: Database) -> None:
    """Polls, their per-room start events, and responses."""


async def v4_mirroring(db: Database) -> None:
    """Mirrored messages and the translation cache."""


async def v5_records(db: Database) -> None:
    """Decision log entries, scheduled meetings and reminders."""


MIGRATIONS: list[Migration] = [v1_runtime, v2_meetings, v3_polls, v4_mirroring, v5_records]
