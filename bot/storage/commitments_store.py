"""Commitments' SQL: the one owner of `commitments` and `commitment_events`.

A commitment is numbered after the assembly's others (C1, C2…); numbers are never given again,
so "C12" means the same thing next month. Times are epoch milliseconds.
"""

from __future__ import annotations

from datetime import date

import aiosqlite

from bot.domain.commitments import Commitment, EventKind, HistoryEvent, Status
from bot.storage.database import Database


def _commitment_from_row(row: aiosqlite.Row) -> Commitment:
    return Commitment(
        id=row["id"],
        assembly=row["assembly"],
        number=row["number"],
        decision_id=row["decision_id"],
        meeting_id=row["meeting_id"],
        text=row["text"],
        language=row["language"],
        owner=row["owner"],
        owner_name=row["owner_name"],
        owner_center=row["owner_center"],
        room_id=row["room_id"],
        due=date.fromisoformat(row["due_date"]) if row["due_date"] else None,
        status=Status(row["status"]),
        made_at=row["made_at"],
        closed_at=row["closed_at"],
        closed_by=row["closed_by"],
        note=row["note"],
        note_language=row["note_language"],
    )


class CommitmentsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, commitment: Commitment) -> Commitment:
        """Keep a new commitment (its `id` and `number` are chosen here) and its first event."""
        commitment_id = await self.db.execute(
            "INSERT INTO commitments (assembly, number, decision_id, meeting_id, text, language, "
            "owner, owner_name, owner_center, room_id, due_date, made_at) VALUES (?, "
            "(SELECT ifnull(max(number), 0) + 1 FROM commitments WHERE assembly = ?), "
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                commitment.assembly,
                commitment.assembly,
                commitment.decision_id,
                commitment.meeting_id,
                commitment.text,
                commitment.language,
                commitment.owner,
                commitment.owner_name,
                commitment.owner_center,
                commitment.room_id,
                commitment.due.isoformat() if commitment.due else None,
                commitment.made_at,
            ),
        )
        await self.add_event(
            commitment_id,
            HistoryEvent(EventKind.MADE, commitment.made_at, None, None, commitment.meeting_id),
        )
        made = await self.by_id(commitment_id)
        assert made is not None
        return made

    async def by_id(self, commitment_id: int) -> Commitment | None:
        row = await self.db.fetch_one("SELECT * FROM commitments WHERE id = ?", (commitment_id,))
        return _commitment_from_row(row) if row else None

    async def by_number(self, assembly: str, number: int) -> Commitment | None:
        row = await self.db.fetch_one(
            "SELECT * FROM commitments WHERE assembly = ? AND number = ?", (assembly, number)
        )
        return _commitment_from_row(row) if row else None

    async def of_decision(self, decision_id: int) -> Commitment | None:
        row = await self.db.fetch_one(
            "SELECT * FROM commitments WHERE decision_id = ?", (decision_id,)
        )
        return _commitment_from_row(row) if row else None

    async def open_commitments(self, assembly: str | None = None) -> list[Commitment]:
        """Open commitments (of one assembly, or of all), by number."""
        rows = await self.db.fetch_all(
            "SELECT * FROM commitments WHERE status = 'open' AND (? IS NULL OR assembly = ?) "
            "ORDER BY assembly, number",
            (assembly, assembly),
        )
        return [_commitment_from_row(row) for row in rows]

    async def all_of(self, assembly: str | None = None) -> list[Commitment]:
        """Every commitment ever made (withdrawn ones too), by number."""
        rows = await self.db.fetch_all(
            "SELECT * FROM commitments WHERE (? IS NULL OR assembly = ?) ORDER BY assembly, number",
            (assembly, assembly),
        )
        return [_commitment_from_row(row) for row in rows]

    async def close(
        self,
        commitment_id: int,
        status: Status,
        *,
        at: int,
        by: str,
        note: str | None,
        note_language: str | None = None,
    ) -> bool:
        """Mark an open commitment done, dropped or withdrawn; False if it was not open."""
        changed = await self.db.execute_rowcount(
            "UPDATE commitments SET status = ?, closed_at = ?, closed_by = ?, note = ?, "
            "note_language = ? WHERE id = ? AND status = 'open'",
            (str(status), at, by, note, note_language, commitment_id),
        )
        if changed != 1:
            return False
        await self.add_event(commitment_id, HistoryEvent(EventKind(str(status)), at, by, note))
        return True

    async def add_event(self, commitment_id: int, event: HistoryEvent) -> None:
        await self.db.execute(
            "INSERT INTO commitment_events (commitment_id, kind, at, by, meeting_id, note) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (commitment_id, str(event.kind), event.at, event.by, event.meeting_id, event.note),
        )

    async def history(self, commitment_id: int) -> list[HistoryEvent]:
        rows = await self.db.fetch_all(
            "SELECT * FROM commitment_events WHERE commitment_id = ? ORDER BY at, id",
            (commitment_id,),
        )
        return [
            HistoryEvent(EventKind(r["kind"]), r["at"], r["by"], r["note"], r["meeting_id"])
            for r in rows
        ]
