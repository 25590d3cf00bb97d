"""The agenda: `!agenda` / `!orden`, `!item` / `!punto`, `!dropitem` / `!quitarpunto`,
`!moveitem` / `!moverpunto`, `!current` / `!actual` and `!next` / `!siguiente`."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.domain.assembly import Assembly
from bot.domain.authority import Role
from bot.domain.fair_use import ANNOUNCES
from bot.domain.meetings import AgendaItem
from bot.domain.messages import Msg, UserText
from bot.domain.outcomes import Announce, Reply, announce, reply
from bot.framework.commands import (
    CommandGroup,
    Param,
    Reads,
    Roster,
    command,
    no_one,
    person_at_end,
    person_at_start,
    to_duration_seconds,
    to_number,
)
from bot.framework.context import CommandContext
from bot.render import meetings as phrases
from bot.services.agenda import AgendaEntry, AgendaService
from bot.services.meetings import MeetingService
from bot.services.people import People

# Only words with a unit count as a timebox, so "Plans for 2025" keeps its number.
_TIMEBOX = re.compile(r"^(?:\d+h)?(?:\d+m(?:in)?)?(?:\d+s)?$", re.IGNORECASE)


def read_agenda_entry(words: Sequence[str], roster: Roster = no_one) -> AgendaEntry:
    """`Budget 10m @ana:example.org` (timebox and owner at either end, in any order). The owner
    is a pill, a Matrix id, or "@" and a name (`@Ana (US)`): a title may hold any other name."""
    found = list(words)
    timebox: int | None = None
    owner: str | None = None
    peeled = True
    while peeled and found:
        peeled = False
        for at_end in (True, False):
            if not found:
                break
            word = found[-1] if at_end else found[0]
            if timebox is None and _TIMEBOX.match(word) and any(c.isdigit() for c in word):
                timebox, taken = to_duration_seconds(word), 1
            elif owner is None and (person := _owner(found, roster, at_end)) is not None:
                owner, taken = person
            else:
                continue
            found = found[:-taken] if at_end else found[taken:]
            peeled = True
    return AgendaEntry(" ".join(found), timebox, owner)


def _owner(words: Sequence[str], roster: Roster, at_end: bool) -> tuple[str, int] | None:
    return person_at_end(words, roster) if at_end else person_at_start(words, roster)


def _read_item(words: Sequence[str], roster: Roster, whole: bool) -> tuple[AgendaEntry, int]:
    return read_agenda_entry(words, roster), len(words)


to_agenda_entry = Reads(_read_item)


class AgendaCommands(CommandGroup):
    group_name = "agenda"
    help_names = ("agenda", "orden")

    def __init__(self, agenda: AgendaService, meetings: MeetingService, people: People) -> None:
        self._agenda = agenda
        self._meetings = meetings
        self._people = people

    @command("agenda", "orden", aliases_es=("orden del día", "ordendeldia"))
    async def show_agenda(self, ctx: CommandContext) -> Reply:
        meeting, items = await self._agenda.items(ctx.assembly)
        if not items:
            return reply(Msg.of("agenda.empty", prefix=self._meetings.prefix))
        title = UserText(meeting.title, meeting.title_language)
        return reply(*phrases.agenda(title, items, self._people_of(ctx.assembly)))

    @command(
        "item", "punto", Param("item", to_agenda_entry, rest=True), needs=Role.CHAIR, cost=ANNOUNCES
    )
    async def add_item(self, ctx: CommandContext, item: AgendaEntry) -> Announce:
        added = await self._agenda.add(ctx.assembly, item, ctx.language, ctx.sender)
        item_line = phrases.item(added, self._people_of(ctx.assembly))
        return announce(Msg.of("agenda.added", item=item_line))

    @command(
        "dropitem", "quitarpunto", Param("number", to_number), needs=Role.CHAIR, cost=ANNOUNCES
    )
    async def drop_item(self, ctx: CommandContext, number: int) -> Announce:
        dropped = await self._agenda.remove(ctx.assembly, number)
        return announce(Msg.of("agenda.removed", title=phrases.title(dropped)))

    @command(
        "moveitem",
        "moverpunto",
        Param("number", to_number),
        Param("position", to_number),
        needs=Role.CHAIR,
        cost=ANNOUNCES,
    )
    async def move_item(self, ctx: CommandContext, number: int, position: int) -> Announce:
        items = await self._agenda.move(ctx.assembly, number, position)
        moved = items[position - 1]
        meeting = await self._meetings.require(ctx.assembly)
        title = UserText(meeting.title, meeting.title_language)
        return announce(
            Msg.of("agenda.moved", title=phrases.title(moved), position=position),
            *phrases.agenda(title, items, self._people_of(ctx.assembly)),
        )

    @command("current", "actual")
    async def current(self, ctx: CommandContext) -> Reply:
        item = await self._agenda.current(ctx.assembly)
        if item is None or item.started_at is None:
            return reply(Msg.of("agenda.no_current", prefix=self._meetings.prefix))
        return reply(
            Msg.of(
                "agenda.current",
                item=phrases.item(item, self._people_of(ctx.assembly)),
                elapsed=phrases.elapsed(item.started_at, self._meetings.clock()),
            )
        )

    @command(
        "next",
        "siguiente",
        aliases=("next item",),
        aliases_es=("siguiente punto", "próximo punto"),
        hints=("próximo",),  # the next agenda item, or the next speaker?
        needs=Role.CHAIR,
        cost=ANNOUNCES,
    )
    async def next_item(self, ctx: CommandContext) -> Announce:
        advance = await self._agenda.advance(ctx.assembly)
        lines = []
        if advance.closed is not None:
            lines.append(_closed(advance.closed))
        if advance.opened is not None:
            item = phrases.item(advance.opened, self._people_of(ctx.assembly))
            lines.append(Msg.of("agenda.opened", item=item))
        else:
            lines.append(Msg.of("agenda.finished"))
        return announce(*lines)

    def _people_of(self, assembly: Assembly) -> phrases.People:
        return lambda user_id: self._people.person(assembly, user_id)


def _closed(item: AgendaItem) -> Msg:
    took = phrases.elapsed(item.started_at or 0, item.ended_at or item.started_at or 0)
    if item.timebox_seconds:
        return Msg.of(
            "agenda.closed_timebox",
            title=phrases.title(item),
            took=took,
            timebox=phrases.duration(item.timebox_seconds),
        )
    return Msg.of("agenda.closed", title=phrases.title(item), took=took)
