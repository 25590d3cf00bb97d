"""Scheduled meetings: `!schedule` / `!programar`, `!schedules` / `!programadas`,
`!unschedule` / `!desprogramar`.

`!schedule 2025-03-10 18:00 [ZONE] "title" [weekly|biweekly|monthly]`: the zone is an IANA name,
UTC or a center's name (MX, US), and by default the zone of the room the command came from.
"""

from __future__ import annotations

from datetime import date, time

from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.authority import Role
from bot.domain.durations import duration_message
from bot.domain.messages import Code, Msg, UserText
from bot.domain.outcomes import Outcome, React, Reply, reply
from bot.domain.schedule import (
    Recurrence,
    parse_date,
    parse_recurrence,
    parse_time,
    resolve_zone,
)
from bot.framework.commands import CommandGroup, Param, command, to_number
from bot.framework.context import CommandContext
from bot.framework.errors import UsageError
from bot.render import meetings as phrases
from bot.services.decisions import tell_rooms
from bot.services.reminders import Reminders, Upcoming, when_lines
from commands.records import author_of, room_today

SCHEDULED = "📅"


def read_date(word: str, room: AssemblyRoom) -> date:
    found = parse_date(word, room_today(room))
    if found is None:
        raise UsageError("schedule.bad_date", value=word)
    return found


def read_time(word: str) -> time:
    found = parse_time(word)
    if found is None:
        raise UsageError("schedule.bad_time", value=word)
    return found


def read_details(text: str, assembly: Assembly, room: AssemblyRoom) -> tuple[str, str, Recurrence]:
    """`[ZONE] title [weekly|biweekly|monthly]` → (zone, title, recurrence)."""
    words = text.split()
    zone = room.timezone
    centers = {r.center: r.timezone for r in assembly.rooms}
    if words and (found := resolve_zone(words[0], centers)) is not None:
        zone, words = str(found), words[1:]
    elif words and "/" in words[0] and resolve_zone(words[0], centers) is None:
        raise UsageError("schedule.bad_zone", value=words[0])
    recurrence = Recurrence.ONCE
    if words and (repeat := parse_recurrence(words[-1])) is not None:
        recurrence, words = repeat, words[:-1]
    return zone, " ".join(words), recurrence


class ScheduleCommands(CommandGroup):
    group_name = "schedule"
    help_names = ("schedules", "programadas")

    def __init__(self, reminders: Reminders, delivery: Delivery, prefix: str) -> None:
        self._reminders = reminders
        self._delivery = delivery
        self._prefix = prefix

    @command(
        "schedule",
        "programar",
        Param("schedule_date"),
        Param("schedule_time"),
        Param("meeting_details", rest=True),
        needs=Role.CHAIR,
    )
    async def schedule(
        self,
        ctx: CommandContext,
        schedule_date: str,
        schedule_time: str,
        meeting_details: str,
    ) -> list[Outcome]:
        day, at = read_date(schedule_date, ctx.room), read_time(schedule_time)
        zone, title, recurrence = read_details(meeting_details, ctx.assembly, ctx.room)
        upcoming = await self._reminders.add(
            ctx.assembly,
            author_of(ctx),
            day=day,
            at=at,
            zone=zone,
            title=title,
            recurrence=recurrence,
        )
        await tell_rooms(
            self._delivery,
            ctx.assembly,
            ctx.assembly.other_rooms(ctx.room.room_id),
            lambda room: [
                Msg.of(
                    "schedule.told",
                    name=ctx.sender_person,
                    entry=self._scheduled(ctx.assembly, upcoming, room),
                )
            ],
            cause=f"schedule:{ctx.event_id}",
        )
        return [React(SCHEDULED), reply(self._scheduled(ctx.assembly, upcoming, ctx.room))]

    @command("schedules", "programadas")
    async def schedules(self, ctx: CommandContext) -> Reply:
        found = await self._reminders.upcoming(ctx.assembly)
        if not found:
            return reply(Msg.of("schedule.none", prefix=self._prefix))
        lines = [Msg.of("schedule.list_header", count=len(found))]
        lines.extend(self._line(ctx.assembly, upcoming, ctx.room) for upcoming in found)
        return reply(*lines)

    @command(
        "unschedule", "desprogramar", Param("schedule_number", convert=to_number), needs=Role.CHAIR
    )
    async def unschedule(self, ctx: CommandContext, schedule_number: int) -> list[Outcome]:
        schedule = await self._reminders.cancel(ctx.assembly, schedule_number, ctx.authority)
        title = UserText(schedule.title, schedule.language)
        line = Msg.of("schedule.cancelled", id=Code(f"#{schedule.id}"), title=title)
        await tell_rooms(
            self._delivery,
            ctx.assembly,
            ctx.assembly.other_rooms(ctx.room.room_id),
            lambda room: [Msg.of("schedule.told", name=ctx.sender_person, entry=line)],
            cause=f"schedule:{ctx.event_id}",
        )
        return [React(SCHEDULED), reply(line)]

    def _line(self, assembly: Assembly, upcoming: Upcoming, room: AssemblyRoom) -> Msg:
        day, times = when_lines(upcoming.occurrence.start, room, assembly)
        return Msg.of(
            "schedule.line",
            id=Code(f"#{upcoming.schedule.id}"),
            title=UserText(upcoming.schedule.title, upcoming.schedule.language),
            day=day,
            times=times,
            repeat=Msg.of(f"schedule.repeat.{upcoming.schedule.rule.recurrence}"),
        )

    def _scheduled(self, assembly: Assembly, upcoming: Upcoming, room: AssemblyRoom) -> Msg:
        offsets = self._reminders.offsets_of(assembly.name)
        before = phrases.listing([duration_message(seconds) for seconds in offsets])
        return Msg.of(
            "schedule.added",
            line=self._line(assembly, upcoming, room),
            reminders=Msg.of("schedule.reminders", before=before)
            if offsets
            else Msg.of("schedule.no_reminders"),
        )
