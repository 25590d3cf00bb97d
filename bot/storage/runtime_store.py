"""Runtime state: credentials, the sync position, handled events, join times, the outbox and
earlier uploads."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import aiosqlite

from bot.storage.database import CHUNK, Database, in_chunks


def now_ms() -> int:
    return int(time.time() * 1000)


def txn_id(cause: str, index: int) -> str:
    """The transaction id of the `index`-th message that `cause` (an event id, a reminder) makes
    the bot send: fixed by its cause, so the same cause handled twice queues each message once."""
    digest = hashlib.sha256(f"{cause}|{index}".encode()).hexdigest()[:32]
    return f"asamblea-{digest}"


def peek_values(database: Path, keys: Sequence[str]) -> dict[str, str]:
    """Values of the key-value table, read without opening the database for writing (no
    migration, no lock), for tools run beside the bot; empty when there is no such database."""
    if not database.exists():
        return {}
    marks = ", ".join("?" for _ in keys)
    try:
        uri = f"{database.resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
            rows = connection.execute(
                f"SELECT key, value FROM kv WHERE key IN ({marks})", tuple(keys)
            ).fetchall()
    except sqlite3.Error:
        return {}
    return {key: value for key, value in rows}


class OutboxReferences(Protocol):
    """A store whose rows point at outbox messages it still needs (to edit, redact, reply to
    or end them)."""

    async def outbox_ids_in_use(self) -> set[int]: ...


@dataclass(frozen=True)
class OutgoingMessage:
    """A message the bot has decided to send; it stays in the outbox until the homeserver has it."""

    id: int
    txn_id: str
    room_id: str
    event_type: str
    content: dict[str, Any]
    purpose: str
    source_event_id: str | None
    attempts: int

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> OutgoingMessage:
        return cls(
            id=row["id"],
            txn_id=row["txn_id"],
            room_id=row["room_id"],
            event_type=row["event_type"],
            content=json.loads(row["content"]),
            purpose=row["purpose"],
            source_event_id=row["source_event_id"],
            attempts=row["attempts"],
        )


class Lane(NamedTuple):
    """Where a message waits to be sent: its room, and whether it is a copy of what a person
    said (`copies`) or the bot's own words (answers, announcements). The two lanes of a room
    send side by side, each in order: an answer never waits behind copies."""

    room_id: str
    copies: bool

    @classmethod
    def of(cls, room_id: str, purpose: str) -> Lane:
        return cls(room_id, purpose.startswith(COPY_PURPOSE))


# The purposes of mirrored copies, and of their edits and redactions, all start so.
COPY_PURPOSE = "mirror"


class OutboxLanes:
    """How many messages wait in the outbox, lane by lane, kept in memory beside the table once
    a sender serves it (`open`): the sender wakes the lanes that got messages instead of asking
    the table, and the mirror holds a copy back while its room's copies lane is full. A backlog
    then waits in the mirror's lanes, where people take turns, not in the outbox, where
    messages go out in order: someone's flood cannot stand between another person and the room.

    A room whose copies have not gone out for a while (the homeserver refusing it, encryption
    not ready) is not waited for: it holds back nobody."""

    FULL = 3
    STUCK_SECONDS = 5.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._open = False
        self._waiting: dict[Lane, int] = {}
        self._sent_at: dict[Lane, float] = {}
        self._fresh: set[Lane] = set()
        # Who waits for a lane to move: each waiter's own doorbell.
        self._waiters: dict[Lane, set[asyncio.Event]] = {}

    def open(self, waiting: dict[Lane, int]) -> None:
        """A sender serves the outbox from now on; `waiting` is what the table holds."""
        self._open = True
        now = self._clock()
        self._waiting = dict(waiting)
        self._sent_at = dict.fromkeys(waiting, now)
        self._fresh |= set(waiting)

    def queued(self, lane: Lane) -> None:
        """A message has been committed to the outbox, in `lane`."""
        if not self._waiting.get(lane):
            self._sent_at[lane] = self._clock()  # an idle lane is not a stuck one
        self._waiting[lane] = self._waiting.get(lane, 0) + 1
        self._fresh.add(lane)

    def settled(self, lane: Lane, *, sent: bool) -> None:
        """A message has left the outbox: sent, or set aside for good (which is no sign that
        the room takes messages)."""
        self._waiting[lane] = max(0, self._waiting.get(lane, 0) - 1)
        if sent:
            self._sent_at[lane] = self._clock()
        for bell in self._waiters.get(lane, ()):
            bell.set()

    def take_fresh(self) -> set[Lane]:
        """The lanes that got messages since last asked."""
        fresh, self._fresh = self._fresh, set()
        return fresh

    def waiting(self, lane: Lane) -> int:
        return self._waiting.get(lane, 0)

    async def room_in(self, room_ids: Sequence[str]) -> None:
        """Wait until none of these rooms' copies lanes is full (a stuck one aside)."""
        while self._open:
            now = self._clock()
            full = {
                lane: self._sent_at.get(lane, now) + self.STUCK_SECONDS - now
                for lane in (Lane(room, True) for room in room_ids)
                if self._waiting.get(lane, 0) >= self.FULL
            }
            moving = {lane: left for lane, left in full.items() if left > 0}
            if not moving:
                return
            bell = asyncio.Event()
            for lane in moving:
                self._waiters.setdefault(lane, set()).add(bell)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(bell.wait(), max(moving.values()))
            finally:
                for lane in moving:
                    self._waiters[lane].discard(bell)


class RuntimeStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        # What waits in the outbox, room by room, once a sender serves it.
        self.lanes = OutboxLanes()
        # When the bot joined each room, read once and written through: every sync asks.
        self._joins: dict[str, int] | None = None

    async def get_value(self, key: str) -> str | None:
        row = await self.db.fetch_one("SELECT value FROM kv WHERE key = ?", (key,))
        return row["value"] if row else None

    async def set_value(self, key: str, value: str) -> None:
        await self.db.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def delete_value(self, key: str) -> None:
        await self.db.execute("DELETE FROM kv WHERE key = ?", (key,))

    async def values_with_prefix(self, prefix: str) -> dict[str, str]:
        """Every value whose key starts with `prefix`, by key."""
        rows = await self.db.fetch_all(
            "SELECT key, value FROM kv WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
        )
        return {row["key"]: row["value"] for row in rows}

    async def is_handled(self, event_id: str) -> bool:
        row = await self.db.fetch_one(
            "SELECT 1 FROM handled_events WHERE event_id = ?", (event_id,)
        )
        return row is not None

    async def mark_handled(self, event_id: str, room_id: str) -> bool:
        """Record the event as handled; False if it already was (so the caller skips it)."""
        changed = await self.db.execute_rowcount(
            "INSERT OR IGNORE INTO handled_events (event_id, room_id, handled_at) VALUES (?, ?, ?)",
            (event_id, room_id, now_ms()),
        )
        return changed == 1

    async def mark_all_handled(self, events: Sequence[tuple[str, str]]) -> set[str]:
        """Record the events, given as (event id, room id), as handled in one statement (a few
        for a very long list); returns the ids that were not handled before."""
        fresh: set[str] = set()
        now = now_ms()
        for chunk in in_chunks(events, CHUNK // 3):
            rows = await self.db.execute_returning(
                "INSERT OR IGNORE INTO handled_events (event_id, room_id, handled_at) VALUES "
                + ", ".join("(?, ?, ?)" for _ in chunk)
                + " RETURNING event_id",
                [value for event_id, room_id in chunk for value in (event_id, room_id, now)],
            )
            fresh.update(row["event_id"] for row in rows)
        return fresh

    async def forget_handled_before(self, cutoff_ms: int) -> int:
        """Drop records of events handled long ago: the homeserver never hands those out again,
        and without this the table would grow for as long as the bot runs."""
        return await self.db.execute_rowcount(
            "DELETE FROM handled_events WHERE handled_at < ?", (cutoff_ms,)
        )

    async def joined_ts(self, room_id: str) -> int | None:
        return (await self._join_times()).get(room_id)

    async def record_join(self, room_id: str, joined_ts: int) -> None:
        """Keep the first join recorded: events before it are history the bot never acts on."""
        joins = await self._join_times()
        if room_id in joins:
            return
        await self.db.execute(
            "INSERT INTO room_joins (room_id, joined_ts) VALUES (?, ?) "
            "ON CONFLICT (room_id) DO NOTHING",
            (room_id, joined_ts),
        )
        self.db.on_commit(lambda: joins.setdefault(room_id, joined_ts))

    async def _join_times(self) -> dict[str, int]:
        if self._joins is None:
            rows = await self.db.fetch_all("SELECT room_id, joined_ts FROM room_joins")
            self._joins = {row["room_id"]: row["joined_ts"] for row in rows}
        return self._joins

    async def enqueue(
        self,
        room_id: str,
        event_type: str,
        content: dict[str, Any],
        *,
        txn_id: str,
        purpose: str = "reply",
        source_event_id: str | None = None,
    ) -> int:
        """Queue a message; the same txn_id queued twice is stored once. Returns its row."""
        rows = await self.db.execute_returning(
            "INSERT OR IGNORE INTO outbox (txn_id, room_id, event_type, content, purpose, "
            "source_event_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                txn_id,
                room_id,
                event_type,
                json.dumps(content, ensure_ascii=False),
                purpose,
                source_event_id,
                now_ms(),
            ),
        )
        if rows:
            lane = Lane.of(room_id, purpose)
            self.db.on_commit(lambda: self.lanes.queued(lane))
            return int(rows[0]["id"])
        row = await self.db.fetch_one("SELECT id FROM outbox WHERE txn_id = ?", (txn_id,))
        return int(row["id"]) if row else 0

    async def pending(self, limit: int = 50, room_id: str | None = None) -> list[OutgoingMessage]:
        """Messages still to send, oldest first: all of them, or one room's."""
        rows = await self.db.fetch_all(
            "SELECT * FROM outbox WHERE event_id IS NULL AND failed = 0 "
            "AND (? IS NULL OR room_id = ?) ORDER BY id LIMIT ?",
            (room_id, room_id, limit),
        )
        return [OutgoingMessage.from_row(row) for row in rows]

    async def next_in_lane(self, lane: Lane, limit: int = 50) -> list[OutgoingMessage]:
        """A lane's messages still to send, oldest first: the copies of what people said in a
        room (with their edits and redactions after them), or the bot's own words there."""
        rows = await self.db.fetch_all(
            "SELECT * FROM outbox WHERE event_id IS NULL AND failed = 0 AND room_id = ? "
            "AND (substr(purpose, 1, ?) = ?) = ? ORDER BY id LIMIT ?",
            (lane.room_id, len(COPY_PURPOSE), COPY_PURPOSE, lane.copies, limit),
        )
        return [OutgoingMessage.from_row(row) for row in rows]

    async def rooms_with_pending(self) -> list[str]:
        return list(dict.fromkeys(lane.room_id for lane in await self.pending_per_lane()))

    async def pending_per_lane(self) -> dict[Lane, int]:
        """How many messages wait to be sent, by lane (lanes with none left out)."""
        rows = await self.db.fetch_all(
            "SELECT room_id, substr(purpose, 1, ?) = ? AS copies, COUNT(*) AS waiting "
            "FROM outbox WHERE event_id IS NULL AND failed = 0 GROUP BY room_id, copies",
            (len(COPY_PURPOSE), COPY_PURPOSE),
        )
        return {Lane(row["room_id"], bool(row["copies"])): int(row["waiting"]) for row in rows}

    async def open_lanes(self) -> None:
        """A sender serves the outbox from now on: what waits in it is counted once, and then
        kept count of in memory (`lanes`)."""
        self.lanes.open(await self.pending_per_lane())

    async def set_aside_count(self, room_ids: tuple[str, ...]) -> int:
        """Messages the homeserver refused for good, in these rooms."""
        marks = ", ".join("?" for _ in room_ids)
        row = await self.db.fetch_one(
            f"SELECT COUNT(*) FROM outbox WHERE failed = 1 AND room_id IN ({marks})", room_ids
        )
        return int(row[0]) if row else 0

    async def waiting_count(self, queued_before: int) -> int:
        """Messages still unsent that were queued before `queued_before` (epoch ms), in every
        room: held for a room that cannot take them yet, or kept back by an outage."""
        row = await self.db.fetch_one(
            "SELECT COUNT(*) FROM outbox WHERE event_id IS NULL AND failed = 0 AND created_at < ?",
            (queued_before,),
        )
        return int(row[0]) if row else 0

    async def outbox_counts(self) -> tuple[int, int]:
        """Messages still to send, and messages set aside for good, in every room."""
        row = await self.db.fetch_one(
            "SELECT COALESCE(SUM(event_id IS NULL AND failed = 0), 0), "
            "COALESCE(SUM(failed = 1), 0) FROM outbox"
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def message_sent_as(self, event_id: str) -> int | None:
        """The outbox row of the message the homeserver knows as `event_id`."""
        row = await self.db.fetch_one("SELECT id FROM outbox WHERE event_id = ?", (event_id,))
        return int(row["id"]) if row else None

    async def sent_state(self, message_id: int) -> tuple[str | None, bool]:
        """The event id the message was sent as (None while pending) and whether it was set
        aside."""
        row = await self.db.fetch_one(
            "SELECT event_id, failed FROM outbox WHERE id = ?", (message_id,)
        )
        return (row["event_id"], bool(row["failed"])) if row else (None, True)

    async def mark_sent(self, message_id: int, event_id: str) -> None:
        """Once sent, a message keeps only its event id: nothing reads a sent message's content
        (edits and redactions of copies find the copy through its event id, and the mirroring
        keeps its own text), and an uploaded file's payload would otherwise stay for good."""
        rows = await self.db.execute_returning(
            "UPDATE outbox SET event_id = ?, sent_at = ?, content = '{}' "
            "WHERE id = ? AND event_id IS NULL RETURNING room_id, purpose",
            (event_id, now_ms(), message_id),
        )
        self._settled(rows, sent=True)

    async def mark_failed(self, message_id: int) -> None:
        """The homeserver refused the message for good; stop retrying it."""
        rows = await self.db.execute_returning(
            "UPDATE outbox SET failed = 1 WHERE id = ? AND failed = 0 AND event_id IS NULL "
            "RETURNING room_id, purpose",
            (message_id,),
        )
        self._settled(rows, sent=False)

    def _settled(self, rows: Sequence[aiosqlite.Row], *, sent: bool) -> None:
        for row in rows:
            lane = Lane.of(row["room_id"], row["purpose"])
            self.db.on_commit(lambda lane=lane: self.lanes.settled(lane, sent=sent))

    async def count_attempt(self, message_id: int) -> None:
        await self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (message_id,)
        )

    async def sent_event_id(self, message_id: int) -> str | None:
        row = await self.db.fetch_one("SELECT event_id FROM outbox WHERE id = ?", (message_id,))
        return row["event_id"] if row else None

    async def forget_sent_before(
        self, cutoff_ms: int, references: Sequence[OutboxReferences]
    ) -> int:
        """Drop messages sent (or given up) long ago. Rows that the `references` still point
        at stay: a mirrored copy, a stack message or a poll start is still found through its row,
        to be edited, redacted, replied to or ended."""
        async with self.db.transaction():
            rows = await self.db.fetch_all(
                "SELECT id FROM outbox WHERE COALESCE(sent_at, created_at) < ? "
                "AND (event_id IS NOT NULL OR failed = 1)",
                (cutoff_ms,),
            )
            in_use: set[int] = set()
            for store in references:
                in_use |= await store.outbox_ids_in_use()
            forgotten = [row["id"] for row in rows if row["id"] not in in_use]
            for chunk in in_chunks(forgotten):
                marks = ", ".join("?" * len(chunk))
                await self.db.execute(f"DELETE FROM outbox WHERE id IN ({marks})", chunk)
        return len(forgotten)

    async def earlier_upload(self, key: str, fingerprint: str) -> dict[str, Any] | None:
        """Where the file last uploaded under `key` lies, if it had this very content."""
        row = await self.db.fetch_one(
            "SELECT attachment FROM uploads WHERE reuse_key = ? AND fingerprint = ?",
            (key, fingerprint),
        )
        return json.loads(row["attachment"]) if row else None

    async def remember_upload(self, key: str, fingerprint: str, attachment: dict[str, Any]) -> None:
        await self.db.execute(
            "INSERT INTO uploads (reuse_key, fingerprint, attachment, uploaded_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (reuse_key) DO UPDATE SET "
            "fingerprint = excluded.fingerprint, attachment = excluded.attachment, "
            "uploaded_at = excluded.uploaded_at",
            (key, fingerprint, json.dumps(attachment), now_ms()),
        )
