"""The SQL of the decision log, scheduled meetings and reminders, and the minutes' read queries.

Times are epoch milliseconds. Meetings and polls belong to their own stores; the few read-only
queries the minutes need that those stores do not offer (the list of meetings, the polls of one
meeting, the transcript) live here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import aiosqlite

from bot.domain.assembly import AssemblyRoom
from bot.domain.schedule import MeetingRule, Recurrence
from bot.storage.database import Database
from bot.storage.runtime_store import now_ms

LOG_KINDS = ("agreed", "action", "info", "idea")
MEETING, ACTION = "meeting", "action"
SENT, SKIPPED = "sent", "skipped"


@dataclass(frozen=True)
class LogRecord:
    """One entry of the decision log written by a person (not a poll's outcome)."""

    id: int
    assembly: str
    meeting_id: int | None
    agenda_item_id: int | None
    kind: str
    text: str
    language: str
    translations: dict[str, str]
    author: str
    author_name: str
    author_center: str
    room_id: str | None
    created_at: int
    owner: str | None
    owner_name: str | None
    owner_center: str | None
    due: date | None
    undone_at: int | None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> LogRecord:
        return cls(
            id=row["id"],
            assembly=row["assembly"],
            meeting_id=row["meeting_id"],
            agenda_item_id=row["agenda_item_id"],
            kind=row["kind"],
            text=row["text"],
            language=row["language"],
            translations=json.loads(row["translations"]) if row["translations"] else {},
            author=row["author"],
            author_name=row["author_name"] or row["author"],
            author_center=row["author_center"] or "",
            room_id=row["room_id"],
            created_at=row["created_at"],
            owner=row["owner"],
            owner_name=row["owner_name"],
            owner_center=row["owner_center"],
            due=date.fromisoformat(row["due_date"]) if row["due_date"] else None,
            undone_at=row["undone_at"],
        )


@dataclass(frozen=True)
class NewLogRecord:
    assembly: str
    meeting_id: int | None
    agenda_item_id: int | None
    kind: str
    text: str
    language: str
    translations: Mapping[str, str]
    author: str
    author_name: str
    author_center: str
    room_id: str
    source_event_id: str
    created_at: int
    owner: str | None = None
    owner_name: str | None = None
    owner_center: str | None = None
    due: date | None = None


@dataclass(frozen=True)
class Schedule:
    id: int
    assembly: str
    title: str
    language: str
    rule: MeetingRule
    created_by: str
    created_in: str
    created_at: int
    cancelled_at: int | None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Schedule:
        return cls(
            id=row["id"],
            assembly=row["assembly"],
            title=row["title"],
            language=row["language"],
            rule=MeetingRule(
                datetime.fromisoformat(row["local_start"]),
                row["zone"],
                Recurrence(row["recurrence"]),
            ),
            created_by=row["created_by"],
            created_in=row["created_in"],
            created_at=row["created_at"],
            cancelled_at=row["cancelled_at"],
        )


@dataclass(frozen=True)
class MeetingRow:
    """A meeting as the minutes and `asamblea meetings` list it."""

    id: int
    assembly: str
    title: str
    title_language: str
    started_by: str
    started_at: int
    ended_at: int | None


@dataclass(frozen=True)
class TranscriptRow:
    """One mirrored message: who wrote what, in which language, and its translation into one
    other language (None when none is stored)."""

    source_event_id: str
    sender: str
    speaker: str
    center: str
    ts: int
    text: str
    source_language: str
    target_language: str
    translated: str | None


class RecordsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the decision log ---------------------------------------------------------------------

    async def add_entry(self, entry: NewLogRecord) -> int:
        return await self.db.execute(
            "INSERT INTO decisions (assembly, meeting_id, agenda_item_id, kind, text, language, "
            "translations, author, author_name, author_center, room_id, source_event_id, "
            "created_at, owner, owner_name, owner_center, due_date) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.assembly,
                entry.meeting_id,
                entry.agenda_item_id,
                entry.kind,
                entry.text,
                entry.language,
                json.dumps(dict(entry.translations), ensure_ascii=False),
                entry.author,
                entry.author_name,
                entry.author_center,
                entry.room_id,
                entry.source_event_id,
                entry.created_at,
                entry.owner,
                entry.owner_name,
                entry.owner_center,
                entry.due.isoformat() if entry.due else None,
            ),
        )

    async def entry(self, entry_id: int) -> LogRecord | None:
        row = await self.db.fetch_one("SELECT * FROM decisions WHERE id = ?", (entry_id,))
        return LogRecord.from_row(row) if row else None

    async def last_entry(self, assembly: str, meeting_id: int | None) -> LogRecord | None:
        """The newest entry a person wrote in that meeting (None: outside any meeting) that is
        not undone yet."""
        row = await self.db.fetch_one(
            f"SELECT * FROM decisions WHERE assembly = ? AND meeting_id IS ? "
            f"AND undone_at IS NULL AND kind IN ({_marks(LOG_KINDS)}) ORDER BY id DESC LIMIT 1",
            (assembly, meeting_id, *LOG_KINDS),
        )
        return LogRecord.from_row(row) if row else None

    async def undo(self, entry_id: int, by: str, at: int) -> bool:
        changed = await self.db.execute_rowcount(
            "UPDATE decisions SET undone_at = ?, undone_by = ? WHERE id = ? AND undone_at IS NULL",
            (at, by, entry_id),
        )
        return changed == 1

    async def entries_of_meeting(self, meeting_id: int) -> list[LogRecord]:
        rows = await self.db.fetch_all(
            f"SELECT * FROM decisions WHERE meeting_id = ? AND undone_at IS NULL "
            f"AND kind IN ({_marks(LOG_KINDS)}) ORDER BY created_at, id",
            (meeting_id, *LOG_KINDS),
        )
        return [LogRecord.from_row(row) for row in rows]

    async def actions_due(self) -> list[LogRecord]:
        """Action items with a due date whose owner has not been reminded (nor skipped)."""
        rows = await self.db.fetch_all(
            "SELECT d.* FROM decisions d WHERE d.kind = 'action' AND d.due_date IS NOT NULL "
            "AND d.undone_at IS NULL AND d.owner IS NOT NULL AND NOT EXISTS ("
            "SELECT 1 FROM sent_reminders r WHERE r.kind = 'action' AND r.ref_id = d.id) "
            "ORDER BY d.due_date, d.id"
        )
        return [LogRecord.from_row(row) for row in rows]

    # -- scheduled meetings -------------------------------------------------------------------

    async def add_schedule(
        self,
        *,
        assembly: str,
        title: str,
        language: str,
        rule: MeetingRule,
        created_by: str,
        created_in: str,
        source_event_id: str,
        created_at: int,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO schedules (assembly, title, language, local_start, zone, recurrence, "
            "created_by, created_in, source_event_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                assembly,
                title,
                language,
                rule.local_start.isoformat(),
                rule.zone,
                str(rule.recurrence),
                created_by,
                created_in,
                source_event_id,
                created_at,
            ),
        )

    async def schedule(self, schedule_id: int) -> Schedule | None:
        row = await self.db.fetch_one("SELECT * FROM schedules WHERE id = ?", (schedule_id,))
        return Schedule.from_row(row) if row else None

    async def active_schedules(self, assembly: str | None = None) -> list[Schedule]:
        if assembly is None:
            rows = await self.db.fetch_all(
                "SELECT * FROM schedules WHERE cancelled_at IS NULL ORDER BY id"
            )
        else:
            rows = await self.db.fetch_all(
                "SELECT * FROM schedules WHERE cancelled_at IS NULL AND assembly = ? ORDER BY id",
                (assembly,),
            )
        return [Schedule.from_row(row) for row in rows]

    async def cancel_schedule(self, schedule_id: int, by: str, at: int) -> bool:
        changed = await self.db.execute_rowcount(
            "UPDATE schedules SET cancelled_at = ?, cancelled_by = ? "
            "WHERE id = ? AND cancelled_at IS NULL",
            (at, by, schedule_id),
        )
        return changed == 1

    # -- reminders ----------------------------------------------------------------------------

    async def claim_reminder(
        self, kind: str, ref_id: int, occurrence: str, offset_seconds: int, outcome: str
    ) -> bool:
        """Record a reminder as sent (or skipped); False if it already was. Call inside the
        transaction that queues the reminder, so the two happen together or not at all."""
        changed = await self.db.execute_rowcount(
            "INSERT OR IGNORE INTO sent_reminders "
            "(kind, ref_id, occurrence, offset_seconds, outcome, handled_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (kind, ref_id, occurrence, offset_seconds, outcome, now_ms()),
        )
        return changed == 1

    async def handled_reminders(self, kind: str, ref_id: int) -> set[tuple[str, int]]:
        rows = await self.db.fetch_all(
            "SELECT occurrence, offset_seconds FROM sent_reminders WHERE kind = ? AND ref_id = ?",
            (kind, ref_id),
        )
        return {(row["occurrence"], row["offset_seconds"]) for row in rows}

    async def reminder_outcomes(self, kind: str, ref_id: int) -> list[tuple[str, int, str]]:
        rows = await self.db.fetch_all(
            "SELECT occurrence, offset_seconds, outcome FROM sent_reminders "
            "WHERE kind = ? AND ref_id = ? ORDER BY occurrence, offset_seconds DESC",
            (kind, ref_id),
        )
        return [(row["occurrence"], row["offset_seconds"], row["outcome"]) for row in rows]

    # -- the configured rooms, kept for the command line ------------------------------------

    async def save_rooms(self, assembly: str, rooms: Iterable[AssemblyRoom]) -> None:
        async with self.db.transaction():
            await self.db.execute("DELETE FROM assembly_rooms WHERE assembly = ?", (assembly,))
            for position, room in enumerate(rooms):
                await self.db.execute(
                    "INSERT INTO assembly_rooms (assembly, room_id, position, language, center, "
                    "timezone) VALUES (?, ?, ?, ?, ?, ?)",
                    (assembly, room.room_id, position, room.language, room.center, room.timezone),
                )

    async def rooms(self, assembly: str) -> list[AssemblyRoom]:
        rows = await self.db.fetch_all(
            "SELECT * FROM assembly_rooms WHERE assembly = ? ORDER BY position", (assembly,)
        )
        return [
            AssemblyRoom(row["room_id"], row["language"], row["center"], row["timezone"])
            for row in rows
        ]

    # -- read-only queries for the minutes ----------------------------------------------------

    async def meetings(self, assembly: str | None = None) -> list[MeetingRow]:
        sql = "SELECT * FROM meetings"
        params: tuple[Any, ...] = ()
        if assembly is not None:
            sql, params = sql + " WHERE assembly = ?", (assembly,)
        rows = await self.db.fetch_all(sql + " ORDER BY id", params)
        return [_meeting(row) for row in rows]

    async def meeting(self, meeting_id: int) -> MeetingRow | None:
        row = await self.db.fetch_one("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
        return _meeting(row) if row else None

    async def latest_meeting(self, assembly: str) -> MeetingRow | None:
        """The open meeting, or else the one that started last."""
        row = await self.db.fetch_one(
            "SELECT * FROM meetings WHERE assembly = ? "
            "ORDER BY ended_at IS NULL DESC, started_at DESC, id DESC LIMIT 1",
            (assembly,),
        )
        return _meeting(row) if row else None

    async def poll_rows_of_meeting(self, meeting_id: int) -> list[aiosqlite.Row]:
        """The meeting's polls as raw rows, for the polls store's own `Poll.from_row`."""
        return await self.db.fetch_all(
            "SELECT * FROM polls WHERE meeting_id = ? ORDER BY id", (meeting_id,)
        )

    async def cached_translation(self, source: str, target: str, text: str) -> str | None:
        """A translation the mirror already paid for (any provider), if there is one."""
        if source == target:
            return None
        row = await self.db.fetch_one(
            "SELECT translated FROM translation_cache WHERE source = ? AND target = ? "
            "AND text = ? ORDER BY created_at DESC LIMIT 1",
            (source, target, text),
        )
        return row["translated"] if row else None

    async def transcript(self, assembly: str, since: int, until: int) -> list[TranscriptRow]:
        """Messages mirrored between `since` and `until`, one row per target language."""
        rows = await self.db.fetch_all(
            "SELECT j.source_event_id, j.payload, j.created_at, m.text, m.source_language, "
            "m.target_language, (SELECT c.translated FROM translation_cache c "
            "WHERE c.source = m.source_language AND c.target = m.target_language "
            "AND c.text = m.text ORDER BY c.created_at DESC LIMIT 1) AS translated "
            "FROM mirror_jobs j JOIN mirrors m ON m.job_id = j.id "
            "WHERE j.assembly = ? AND j.kind = 'message' AND m.redacted = 0 "
            "AND j.created_at BETWEEN ? AND ? ORDER BY j.id, m.id",
            (assembly, since, until),
        )
        found = []
        for row in rows:
            payload = json.loads(row["payload"])
            event = payload.get("event") or {}
            ts = event.get("origin_server_ts")
            found.append(
                TranscriptRow(
                    source_event_id=row["source_event_id"],
                    sender=str(event.get("sender", "")),
                    speaker=str(payload.get("speaker", "")),
                    center=str(payload.get("center", "")),
                    ts=ts if isinstance(ts, int) else row["created_at"],
                    text=row["text"],
                    source_language=row["source_language"],
                    target_language=row["target_language"],
                    translated=row["translated"],
                )
            )
        return found


def _meeting(row: aiosqlite.Row) -> MeetingRow:
    return MeetingRow(
        id=row["id"],
        assembly=row["assembly"],
        title=row["title"],
        title_language=row["title_language"],
        started_by=row["started_by"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
    )


def _marks(values: tuple[str, ...]) -> str:
    return ", ".join("?" for _ in values)
