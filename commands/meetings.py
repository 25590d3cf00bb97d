"""Starting and ending a meeting, its chairs and its roll call.

`!startmeeting` / `!iniciarreunión`, `!endmeeting` / `!terminarreunión`, `!chair` / `!moderar`,
`!unchair` / `!desmoderar`, `!here` / `!presente`, `!attendance` / `!asistencia`.
"""

from __future__ import annotations

from collections import defaultdict

from bot.domain.assembly import Assembly
from bot.domain.authority import Role
from bot.domain.fair_use import ANNOUNCES
from bot.domain.meetings import Attendee, Meeting
from bot.domain.messages import Msg, Name, UserText
from bot.domain.outcomes import Announce, React, Reply, announce, reply
from bot.framework.commands import CommandGroup, Param, command, to_person
from bot.framework.context import CommandContext
from bot.render import meetings as phrases
from bot.services.meetings import MeetingService, MeetingSummary
from bot.services.people import People

PRESENT = "✅"


class MeetingCommands(CommandGroup):
    group_name = "meetings"
    help_names = ("meetings", "reuniones")

    def __init__(self, meetings: MeetingService, people: People) -> None:
        self._meetings = meetings
        self._people = people

    @command(
        "startmeeting",
        "iniciarreunión",
        Param("title", rest=True),
        aliases=("meeting",),
        aliases_es=("reunión",),
        needs=Role.OPENER,
        cost=ANNOUNCES,
    )
    async def start_meeting(self, ctx: CommandContext, title: str) -> list[Announce]:
        opening = await self._meetings.start(ctx.assembly, title, ctx.language, ctx.sender)
        opened = announce(*await self._opening(ctx.assembly, opening.meeting))
        # What earlier meetings left open comes as a message of its own, right after.
        return [opened, announce(*opening.arising)] if opening.arising else [opened]

    @command("endmeeting", "terminarreunión", needs=Role.CHAIR, cost=ANNOUNCES)
    async def end_meeting(self, ctx: CommandContext) -> Announce:
        summary = await self._meetings.end(ctx.assembly)
        return announce(*_closing(summary))

    @command("chair", "moderar", Param("person", to_person), needs=Role.CHAIR_NAMER, cost=ANNOUNCES)
    async def chair(self, ctx: CommandContext, person: str) -> Announce:
        name = await self._meetings.add_chair(ctx.assembly, person, ctx.sender)
        return announce(Msg.of("chair.added", name=name))

    @command(
        "unchair", "desmoderar", Param("person", to_person), needs=Role.CHAIR_NAMER, cost=ANNOUNCES
    )
    async def unchair(self, ctx: CommandContext, person: str) -> Announce:
        name = await self._meetings.remove_chair(ctx.assembly, person)
        return announce(Msg.of("chair.removed", name=name))

    @command("here", "presente", aliases=("present",), aliases_es=("aquí", "asisto"))
    async def here(self, ctx: CommandContext) -> React:
        await self._meetings.mark_present(ctx.assembly, ctx.sender, ctx.room.room_id)
        return React(PRESENT)

    @command("attendance", "asistencia")
    async def attendance(self, ctx: CommandContext) -> Reply:
        present = await self._meetings.attendance(ctx.assembly)
        if not present:
            return reply(Msg.of("attendance.nobody", prefix=self._meetings.prefix))
        return reply(*self._roll(ctx.assembly, present))

    async def _opening(self, assembly: Assembly, meeting: Meeting) -> list[Msg]:
        chairs = [
            self._people.person(assembly, chair) for chair in await self._meetings.chairs(meeting)
        ]
        lines = [
            Msg.of("meeting.started", title=UserText(meeting.title, meeting.title_language)),
            Msg.of("meeting.chairs", names=phrases.listing(chairs)),
            Msg.of("meeting.stack_order", policy=phrases.policy(meeting.stack_policy)),
        ]
        if meeting.turn_limit_seconds:
            lines.append(
                Msg.of("meeting.turn_limit", limit=phrases.duration(meeting.turn_limit_seconds))
            )
        lines.append(Msg.of("meeting.how", prefix=self._meetings.prefix))
        return lines

    def _roll(self, assembly: Assembly, present: list[Attendee]) -> list[Msg]:
        by_center: dict[str, list[Name]] = defaultdict(list)
        for attendee in present:
            name = self._people.display_name(assembly, attendee.user_id)
            # Listed under their center, which the line starts with.
            by_center[attendee.center].append(Name(name, bold=False, center=None))
        lines = [Msg.of("attendance.header", count=len(present))]
        for center, names in by_center.items():
            lines.append(
                Msg.of(
                    "attendance.center",
                    center=center,
                    count=len(names),
                    names=phrases.listing(names),
                )
            )
        return lines


def _closing(summary: MeetingSummary) -> list[Msg]:
    meeting = summary.meeting
    lines = [
        Msg.of(
            "meeting.ended",
            title=UserText(meeting.title, meeting.title_language),
            duration=phrases.elapsed(meeting.started_at, summary.ended_at),
        )
    ]
    for center in summary.centers:
        lines.append(
            Msg.of(
                "meeting.center_summary",
                center=center.center,
                present=center.present,
                turns=center.turns,
                spoken=phrases.duration(center.speaking_seconds),
            )
        )
    return lines
