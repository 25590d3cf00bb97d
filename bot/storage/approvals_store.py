"""The approval of minutes' SQL: the one owner of `minutes_approvals` and `minutes_corrections`.

A meeting's minutes are a draft until a later meeting approves them; corrections made before
that are kept and shown in them. Times are epoch milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.database import Database


@dataclass(frozen=True)
class Approval:
    meeting_id: int
    approved_in: int
    decision_id: int | None
    approved_by: str
    approved_at: int


@dataclass(frozen=True, kw_only=True)
class Correction:
    id: int | None = None
    meeting_id: int
    made_in: int | None
    text: str
    language: str
    author: str
    author_name: str
    author_center: str
    made_at: int
    source_event_id: str | None = None


def _approval_from_row(row: aiosqlite.Row) -> Approval:
    return Approval(
        row["meeting_id"],
        row["approved_in"],
        row["decision_id"],
        row["approved_by"],
        row["approved_at"],
    )


def _correction_from_row(row: aiosqlite.Row) -> Correction:
    return Correction(
        id=row["id"],
        meeting_id=row["meeting_id"],
        made_in=row["made_in"],
        text=row["text"],
        language=row["language"],
        author=row["author"],
        author_name=row["author_name"],
        author_center=row["author_center"],
        made_at=row["made_at"],
        source_event_id=row["source_event_id"],
    )


class ApprovalsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def approval(self, meeting_id: int) -> Approval | None:
        row = await self.db.fetch_one(
            "SELECT * FROM minutes_approvals WHERE meeting_id = ?", (meeting_id,)
        )
        return _approval_from_row(row) if row else None

    async def approve(self, approval: Approval) -> None:
        """Record the approval; one whose log entry was undone is replaced."""
        await self.db.execute(
            "INSERT OR REPLACE INTO minutes_approvals (meeting_id, approved_in, decision_id, "
            "approved_by, approved_at) VALUES (?, ?, ?, ?, ?)",
            (
                approval.meeting_id,
                approval.approved_in,
                approval.decision_id,
                approval.approved_by,
                approval.approved_at,
            ),
        )

    async def add_correction(self, correction: Correction) -> Correction:
        correction_id = await self.db.execute(
            "INSERT INTO minutes_corrections (meeting_id, made_in, text, language, author, "
            "author_name, author_center, made_at, source_event_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                correction.meeting_id,
                correction.made_in,
                correction.text,
                correction.language,
                correction.author,
                correction.author_name,
                correction.author_center,
                correction.made_at,
                correction.source_event_id,
            ),
        )
        row = await self.db.fetch_one(
            "SELECT * FROM minutes_corrections WHERE id = ?", (correction_id,)
        )
        assert row is not None
        return _correction_from_row(row)

    async def corrections(self, meeting_id: int) -> list[Correction]:
        rows = await self.db.fetch_all(
            "SELECT * FROM minutes_corrections WHERE meeting_id = ? ORDER BY made_at, id",
            (meeting_id,),
        )
        return [_correction_from_row(row) for row in rows]
