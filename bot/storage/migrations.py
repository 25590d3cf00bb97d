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
    await db.executescript(
        """
        CREATE TABLE mirror_jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            assembly TEXT NOT NULL,
            source_event_id TEXT NOT NULL UNIQUE,
            source_room_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            done_at INTEGER
        );
        CREATE INDEX mirror_jobs_waiting ON mirror_jobs (id) WHERE done_at IS NULL;
        CREATE TABLE mirrors (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source_event_id TEXT NOT NULL,
            source_room_id TEXT NOT NULL,
            target_room_id TEXT NOT NULL,
            outbox_id INTEGER NOT NULL REFERENCES outbox (id),
            job_id INTEGER NOT NULL REFERENCES mirror_jobs (id),
            source_language TEXT NOT NULL,
            target_language TEXT NOT NULL,
            text TEXT NOT NULL,
            translation_pending INTEGER NOT NULL DEFAULT 0,
            revision INTEGER NOT NULL DEFAULT 0,
            redacted INTEGER NOT NULL DEFAULT 0,
            UNIQUE (source_event_id, target_room_id)
        );
        CREATE INDEX mirrors_pending ON mirrors (id) WHERE translation_pending = 1;
        CREATE INDEX mirrors_outbox ON mirrors (outbox_id);
        CREATE TABLE translation_cache (
            provider TEXT NOT NULL,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            text TEXT NOT NULL,
            translated TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (provider, source, target, text)
        );
        CREATE TABLE mirroring_paused (
            assembly TEXT PRIMARY KEY,
            paused_by TEXT NOT NULL,
            paused_at INTEGER NOT NULL
        );
        CREATE INDEX outbox_event ON outbox (event_id)
        """
    )


async def v5_records(db: Database) -> None:
    """Decision log entries, scheduled meetings and reminders."""


MIGRATIONS: list[Migration] = [v1_runtime, v2_meetings, v3_polls, v4_mirroring, v5_records]
