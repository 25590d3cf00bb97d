"""Letters: the one owner of the `letters` table.

A letter is a message for one person's direct chat with the bot, kept while the bot is still
making that chat; it is posted, and forgotten here, once the chat exists.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.storage.database import Database


@dataclass(frozen=True)
class Letter:
    id: int
    user_id: str
    assembly: str
    cause: str
    lines: tuple[Any, ...]  # messages as `bot.domain.messages.to_data` keeps them
    written_at: int


class LettersStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def keep(
        self, user_id: str, assembly: str, cause: str, lines: Sequence[Any], at: int
    ) -> None:
        await self.db.execute(
            "INSERT INTO letters (user_id, assembly, cause, lines, written_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (user_id, assembly, cause, json.dumps(list(lines), ensure_ascii=False), at),
        )

    async def waiting_for(self, user_id: str) -> list[Letter]:
        rows = await self.db.fetch_all(
            "SELECT * FROM letters WHERE user_id = ? ORDER BY id", (user_id,)
        )
        return [
            Letter(
                id=row["id"],
                user_id=row["user_id"],
                assembly=row["assembly"],
                cause=row["cause"],
                lines=tuple(json.loads(row["lines"])),
                written_at=row["written_at"],
            )
            for row in rows
        ]

    async def forget(self, letter_ids: Sequence[int]) -> None:
        await self.db.executemany(
            "DELETE FROM letters WHERE id = ?", [(letter_id,) for letter_id in letter_ids]
        )
