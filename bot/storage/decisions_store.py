"""The decision log's SQL: the one owner of the `decisions` table.

A person's entries (`!agreed`, `!action`, `!info`, `!idea`) and each closed poll's outcome are
rows of one log, which the minutes read in order. Times are epoch milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiosqlite

from bot.storage.database import Database

LOG_KINDS = ("agreed", "action", "info", "idea")


@dataclass(frozen=True, kw_only=True)
class LogRecord:
    """One entry of the decision log: written by a person (`!agreed`, `!action`, …), or a closed
    poll's outcome (kind "poll", with `poll_id`, `outcome` and the `details` the minutes word).

    The same record is the entry a person wrote, which the service hands to the store, and the
    entry the store gives back: `id`, `number` and `undone_at` are None until the store sets
    them."""

    id: int | None = None
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
    room_id: str | None
    source_event_id: str | None = None  # the message that wrote it; none for a poll's outcome
    created_at: int
    owner: str | None = None
    owner_name: str | None = None
    owner_center: str | None = None
    due: date | None = None
    undone_at: int | None = None
    poll_id: int | None = None
    outcome: str | None = None
    details: dict[str, Any] | None = None
    # Its number among the entries of its kind in its meeting, as chat and minutes show it.
    number: int | None = None


def _record_from_row(row: aiosqlite.Row) -> LogRecord:
    return LogRecord(
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
        source_event_id=row["source_event_id"],
        created_at=row["created_at"],
        owner=row["owner"],
        owner_name=row["owner_name"],
        owner_center=row["owner_center"],
        due=date.fromisoformat(row["due_date"]) if row["due_date"] else None,
        undone_at=row["undone_at"],
        poll_id=row["poll_id"],
        outcome=row["outcome"],
        details=json.loads(row["details"]) if row["details"] else None,
        number=row["number"],
    )


class DecisionsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- entries written by people ------------------------------------------------------------

    async def add_entry(self, entry: LogRecord) -> int:
        """Keep the entry, numbered after the other entries of its kind in its meeting (or
        outside any meeting) that are not undone: `!undo` takes back only the newest entry, so
        the numbers stay 1, 2, 3… and the number it freed is given again."""
        return await self.db.execute(
            "INSERT INTO decisions (assembly, meeting_id, agenda_item_id, kind, text, language, "
            "translations, author, author_name, author_center, room_id, source_event_id, "
            "created_at, owner, owner_name, owner_center, due_date, details, number) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "(SELECT ifnull(max(number), 0) + 1 FROM decisions WHERE assembly = ? "
            "AND meeting_id IS ? AND kind = ? AND undone_at IS NULL))",
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
                json.dumps(entry.details, ensure_ascii=False) if entry.details else None,
                entry.assembly,
                entry.meeting_id,
                entry.kind,
            ),
        )

    async def entry(self, entry_id: int) -> LogRecord | None:
        row = await self.db.fetch_one("SELECT * FROM decisions WHERE id = ?", (entry_id,))
        return _record_from_row(row) if row else None

    async def last_entry(self, assembly: str, meeting_id: int | None) -> LogRecord | None:
        """The newest entry a person wrote in that meeting (None: outside any meeting) that is
        not undone yet."""
        row = await self.db.fetch_one(
            f"SELECT * FROM decisions WHERE assembly = ? AND meeting_id IS ? "
            f"AND undone_at IS NULL AND kind IN ({_marks(LOG_KINDS)}) ORDER BY id DESC LIMIT 1",
            (assembly, meeting_id, *LOG_KINDS),
        )
        return _record_from_row(row) if row else None

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
        return [_record_from_row(row) for row in rows]

    async def actions_with_due_date(self) -> list[LogRecord]:
        """Action items with a due date and an owner that are not undone, soonest first."""
        rows = await self.db.fetch_all(
            "SELECT * FROM decisions WHERE kind = 'action' AND due_date IS NOT NULL "
            "AND undone_at IS NULL AND owner IS NOT NULL ORDER BY due_date, id"
        )
        return [_record_from_row(row) for row in rows]

    async def decisions_of(self, assembly: str) -> list[LogRecord]:
        """Every agreement and poll result of the assembly, undone ones too (the register
        forgets those), oldest first."""
        rows = await self.db.fetch_all(
            "SELECT * FROM decisions WHERE assembly = ? AND kind IN ('agreed', 'poll') "
            "ORDER BY id",
            (assembly,),
        )
        return [_record_from_row(row) for row in rows]

    async def agreed_and_polls_between(
        self, assembly: str, since: int, until: int
    ) -> list[LogRecord]:
        """The agreements and poll results not undone made in [since, until) (for the report)."""
        rows = await self.db.fetch_all(
            "SELECT * FROM decisions WHERE assembly = ? AND kind IN ('agreed', 'poll') "
            "AND undone_at IS NULL AND created_at >= ? AND created_at < ? ORDER BY created_at",
            (assembly, since, until),
        )
        return [_record_from_row(row) for row in rows]

    # -- polls' outcomes --------------------------------------------------------------------------

    async def record_decision(
        self,
        *,
        assembly: str,
        meeting_id: int | None,
        kind: str,
        text: str,
        language: str,
        author: str,
        created_at: int,
        poll_id: int | None = None,
        outcome: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO decisions (assembly, meeting_id, kind, text, language, author, "
            "created_at, poll_id, outcome, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                assembly,
                meeting_id,
                kind,
                text,
                language,
                author,
                created_at,
                poll_id,
                outcome,
                json.dumps(details, ensure_ascii=False) if details is not None else None,
            ),
        )

    async def decision_for_poll(self, poll_id: int) -> LogRecord | None:
        row = await self.db.fetch_one("SELECT * FROM decisions WHERE poll_id = ?", (poll_id,))
        return _record_from_row(row) if row else None


def _marks(values: tuple[str, ...]) -> str:
    return ", ".join("?" for _ in values)
