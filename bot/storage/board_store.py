"""The meeting board's links: the one owner of the `board_tokens` table.

Each assembly has at most one token; the link to its board holds it. Making a new one replaces
the old, which then opens nothing.
"""

from __future__ import annotations

from bot.storage.database import Database


class BoardStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def tokens(self) -> dict[str, str]:
        """Token → the assembly whose board it opens."""
        rows = await self.db.fetch_all("SELECT assembly, token FROM board_tokens")
        return {row["token"]: row["assembly"] for row in rows}

    async def token_of(self, assembly: str) -> str | None:
        row = await self.db.fetch_one(
            "SELECT token FROM board_tokens WHERE assembly = ?", (assembly,)
        )
        return row["token"] if row else None

    async def set_token(self, assembly: str, token: str, made_by: str, at: int) -> None:
        await self.db.execute(
            "INSERT INTO board_tokens (assembly, token, made_by, made_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (assembly) DO UPDATE SET token = excluded.token, "
            "made_by = excluded.made_by, made_at = excluded.made_at",
            (assembly, token, made_by, at),
        )
