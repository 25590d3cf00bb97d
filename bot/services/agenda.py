"""The agenda of the open meeting: items in order, one under discussion at a time.

Items are numbered by their place on the agenda (1, 2, 3…), renumbered when one is removed or
moved. Items already discussed keep their place; only upcoming ones can be moved or removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain.assembly import Assembly
from bot.domain.errors import CommandError
from bot.domain.limits import MAX_AGENDA_ITEMS
from bot.domain.meetings import CURRENT, DONE, PENDING, AgendaItem, Meeting
from bot.services.meetings import MeetingService, check_title
from bot.storage.meetings_store import MeetingsStore


class TimeboxWatch(Protocol):
    def watch_timebox(self, item: AgendaItem) -> None: ...


@dataclass(frozen=True)
class AgendaEntry:
    """An item as a chair wrote it: `!item Budget 10m @ana:example.org`."""

    title: str
    timebox_seconds: int | None = None
    owner: str | None = None


@dataclass(frozen=True)
class Advance:
    """What `next` did: the item it closed (with its actual duration) and the one it opened."""

    closed: AgendaItem | None
    opened: AgendaItem | None


class AgendaService:
    def __init__(
        self, store: MeetingsStore, meetings: MeetingService, timers: TimeboxWatch
    ) -> None:
        self._store = store
        self._meetings = meetings
        self._timers = timers

    async def items(self, assembly: Assembly) -> tuple[Meeting, list[AgendaItem]]:
        meeting = await self._meetings.require(assembly)
        return meeting, await self._store.agenda(meeting.id)

    async def add(
        self, assembly: Assembly, entry: AgendaEntry, language: str, added_by: str
    ) -> AgendaItem:
        meeting = await self._meetings.require(assembly)
        title = check_title(entry.title, "agenda.needs_title", self._meetings.prefix)
        if len(await self._store.agenda(meeting.id)) >= MAX_AGENDA_ITEMS:
            raise CommandError("agenda.too_many_items", limit=MAX_AGENDA_ITEMS)
        return await self._store.add_item(
            meeting.id,
            title=title,
            language=language,
            timebox_seconds=entry.timebox_seconds,
            owner=entry.owner,
            added_by=added_by,
        )

    async def remove(self, assembly: Assembly, number: int) -> AgendaItem:
        _, items = await self.items(assembly)
        item = self._upcoming(items, number)
        await self._store.remove_item(item.id)
        await self._store.reorder(i.id for i in items if i.id != item.id)
        return item

    async def move(self, assembly: Assembly, number: int, to: int) -> list[AgendaItem]:
        """Put an upcoming item at place `to`, among the other upcoming items."""
        meeting, items = await self.items(assembly)
        item = self._upcoming(items, number)
        first = 1 + sum(1 for i in items if i.status != PENDING)
        if not first <= to <= len(items):
            raise CommandError("agenda.move_range", first=first, last=len(items))
        order = [i.id for i in items if i.id != item.id]
        order.insert(to - 1, item.id)
        await self._store.reorder(order)
        return await self._store.agenda(meeting.id)

    async def current(self, assembly: Assembly) -> AgendaItem | None:
        meeting = await self._meetings.require(assembly)
        return await self._store.current_item(meeting.id)

    async def advance(self, assembly: Assembly) -> Advance:
        """Close the item under discussion and open the next upcoming one."""
        _, items = await self.items(assembly)
        current = next((i for i in items if i.status == CURRENT), None)
        upcoming = next((i for i in items if i.status == PENDING), None)
        if current is None and upcoming is None:
            raise CommandError("agenda.nothing_next", prefix=self._meetings.prefix)
        now = self._meetings.clock()
        closed = opened = None
        if current is not None:
            await self._store.finish_item(current.id, now)
            closed = await self._store.item(current.id)
        if upcoming is not None:
            await self._store.start_item(upcoming.id, now)
            opened = await self._store.item(upcoming.id)
            if opened is not None:
                self._timers.watch_timebox(opened)
        return Advance(closed, opened)

    def _upcoming(self, items: list[AgendaItem], number: int) -> AgendaItem:
        if not 1 <= number <= len(items):
            raise CommandError("agenda.no_such_item", number=number, count=len(items))
        item = items[number - 1]
        if item.status == DONE:
            raise CommandError("agenda.item_done", number=number)
        if item.status == CURRENT:
            raise CommandError("agenda.item_current", number=number, prefix=self._meetings.prefix)
        return item
