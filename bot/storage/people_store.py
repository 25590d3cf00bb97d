"""People's names as the bot last saw them: the one owner of the `people` table.

The minutes name people from here when the homeserver cannot say (after a restart, before the
first sync, or from the command line, which has no homeserver at all). Times are epoch
milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Database


@dataclass(frozen=True)
class KnownPerson:
    user_id: str
    name: str  # without a trailing center: it is shown beside `center`
    center: str


class PeopleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def remember(
        self, assembly: str, user_id: str, name: str, center: str, seen_at: int
    ) -> None:
        await self.db.execute(
            "INSERT INTO people (assembly, user_id, name, center, seen_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (assembly, user_id) DO UPDATE SET name = excluded.name, "
            "center = excluded.center, seen_at = excluded.seen_at "
            "WHERE name != excluded.name OR center != excluded.center",
            (assembly, user_id, name, center, seen_at),
        )

    async def known(self, assembly: str) -> dict[str, KnownPerson]:
        rows = await self.db.fetch_all(
            "SELECT user_id, name, center FROM people WHERE assembly = ?", (assembly,)
        )
        people = (KnownPerson(row["user_id"], row["name"], row["center"]) for row in rows)
        return {person.user_id: person for person in people}
