"""Scheduled meetings' SQL: the one owner of the `schedules` table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain.schedule import MeetingRule, Recurrence
from bot.storage.database import Database


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


class SchedulesStore:
    def __init__(self, db: Database) -> None:
        self.db = db

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
