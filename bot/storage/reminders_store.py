"""Reminders' SQL: the one owner of `sent_reminders`, the record of each reminder sent or skipped.

A reminder is named by what it is for (`MEETING`: a schedule; `ACTION`: a decision log entry),
that thing's id, the occurrence and the offset, so each is claimed once across restarts.
"""

from __future__ import annotations

from bot.storage.database import Database
from bot.storage.runtime_store import now_ms

MEETING, ACTION = "meeting", "action"
SENT, SKIPPED = "sent", "skipped"


class RemindersStore:
    def __init__(self, db: Database) -> None:
        self.db = db

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

    async def handled_refs(self, kind: str) -> set[int]:
        """The ids of everything of `kind` that has had a reminder sent or skipped."""
        rows = await self.db.fetch_all(
            "SELECT DISTINCT ref_id FROM sent_reminders WHERE kind = ?", (kind,)
        )
        return {row["ref_id"] for row in rows}
