"""The decision log: agreements, action items, information and ideas, in MeetBot's vocabulary.

An entry belongs to the assembly, and to its open meeting and current agenda item when there is
one. It keeps the words as written, their language, and a machine translation for each other
language of the assembly when one comes quickly. No Matrix here: handlers turn the results into
messages, and `tell_rooms` queues notices worded per room.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.errors import CommandError
from bot.domain.limits import MAX_ENTRY, tidied_text
from bot.domain.messages import Msg
from bot.domain.outcomes import Announce
from bot.services.people import People
from bot.storage.decisions_store import DecisionsStore, LogRecord
from bot.storage.meetings_store import MeetingsStore
from bot.storage.runtime_store import now_ms

# Words that introduce an action item's due date at the end of `!action`: "… due 2025-03-10".
DUE_WORDS = ("due", "by", "para", "vence", "plazo")


@dataclass(frozen=True)
class Author:
    """Who wrote a command, and where."""

    user_id: str
    name: str
    room: AssemblyRoom
    event_id: str
    ts: int


def check_text(text: str | None, empty_key: str, prefix: str) -> str:
    return tidied_text(text, MAX_ENTRY, "records.too_long", empty_key=empty_key, prefix=prefix)


class DecisionLog:
    def __init__(
        self,
        store: DecisionsStore,
        meetings: MeetingsStore,
        people: People,
        prefix: str,
        clock: Callable[[], int] = now_ms,
        *,
        on_action: Sequence[Callable[[LogRecord], None]] = (),
    ) -> None:
        self._store = store
        self._meetings = meetings
        self._people = people
        self.prefix = prefix
        self.clock = clock
        # Told about each new action item with a due date (the reminders watch it).
        self._on_action = tuple(on_action)

    async def record(
        self,
        assembly: Assembly,
        author: Author,
        kind: str,
        text: str,
        *,
        owner: str | None = None,
        due: date | None = None,
        translations: Mapping[str, str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> LogRecord:
        """`translations`, `details`: for an entry the bot words itself (an approval of minutes),
        its words in every language of the assembly, from the catalogs, and what they say."""
        meeting = await self._meetings.open_meeting(assembly.name)
        item = await self._meetings.current_item(meeting.id) if meeting else None
        owner_center = self._people.center_of(assembly, owner) if owner else None
        entry_id = await self._store.add_entry(
            LogRecord(
                assembly=assembly.name,
                meeting_id=meeting.id if meeting else None,
                agenda_item_id=item.id if item else None,
                kind=kind,
                text=text,
                language=author.room.language,
                # Translated when told to the other rooms (outside the transaction); the minutes
                # find those translations in the translation cache.
                translations=dict(translations or {}),
                author=author.user_id,
                author_name=author.name,
                author_center=self._people.center_of(assembly, author.user_id, author.room.room_id),
                room_id=author.room.room_id,
                source_event_id=author.event_id,
                created_at=author.ts or self.clock(),
                owner=owner,
                owner_name=self._people.display_name(assembly, owner) if owner else None,
                owner_center=owner_center,
                due=due,
                details=details,
            )
        )
        entry = await self._store.entry(entry_id)
        assert entry is not None
        if entry.due and entry.owner:
            for watcher in self._on_action:
                watcher(entry)
        return entry

    def check_owner(self, assembly: Assembly, owner: str) -> str:
        if not self._people.is_member(assembly, owner):
            raise CommandError("records.owner_not_member", user=owner)
        return owner

    async def undo_last(self, assembly: Assembly, by: str) -> LogRecord:
        """Takes back the newest entry of the open meeting; never one of an earlier meeting,
        whose minutes may already have been read and approved."""
        meeting = await self._meetings.open_meeting(assembly.name)
        entry = await self._store.last_entry(assembly.name, meeting.id if meeting else None)
        if entry is None or not await self._store.undo(entry.id, by, self.clock()):
            raise CommandError("records.nothing_to_undo")
        return entry


async def tell_rooms(
    delivery: Delivery,
    assembly: Assembly,
    rooms: Sequence[AssemblyRoom],
    lines_for: Callable[[AssemblyRoom], Sequence[Msg]],
    *,
    cause: str,
    mention: tuple[str, ...] = (),
    alert: bool = False,
) -> None:
    """A message in each of `rooms`, worded for that room (times in its language and zone order).

    Each room's message has its own cause, so its transaction id differs from the other rooms'
    and stays the same if the same cause is handled again.
    """
    for room in rooms:
        await delivery.deliver(
            [Announce(tuple(lines_for(room)), mention, alert)],
            cause=f"{cause}:{room.room_id}",
            assembly=replace(assembly, rooms=(room,)),
        )
