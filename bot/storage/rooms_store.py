"""The configured rooms of each assembly, as the bot last saw them: the one owner of
`assembly_rooms`, kept so that the command line can word the minutes without the config file."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.assembly import AssemblyRoom
from bot.storage.database import Database


class AssemblyRoomsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save_rooms(self, assembly: str, rooms: Iterable[AssemblyRoom]) -> None:
        async with self.db.transaction():
            await self.db.execute("DELETE FROM assembly_rooms WHERE assembly = ?", (assembly,))
            for position, room in enumerate(rooms):
                await self.db.execute(
                    "INSERT INTO assembly_rooms (assembly, room_id, position, language, center, "
                    "timezone) VALUES (?, ?, ?, ?, ?, ?)",
                    (assembly, room.room_id, position, room.language, room.center, room.timezone),
                )

    async def assemblies(self) -> list[str]:
        rows = await self.db.fetch_all(
            "SELECT DISTINCT assembly FROM assembly_rooms ORDER BY assembly"
        )
        return [row["assembly"] for row in rows]

    async def rooms(self, assembly: str) -> list[AssemblyRoom]:
        rows = await self.db.fetch_all(
            "SELECT * FROM assembly_rooms WHERE assembly = ? ORDER BY position", (assembly,)
        )
        return [
            AssemblyRoom(row["room_id"], row["language"], row["center"], row["timezone"])
            for row in rows
        ]
