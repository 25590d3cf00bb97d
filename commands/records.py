"""The decision log and the minutes: `!agreed`, `!action`, `!info`, `!idea`, `!undo`, `!minutes`.

MeetBot's vocabulary in both languages (`!acuerdo`, `!tarea`, `!nota`, `!sugerencia`, `!deshacer`,
`!acta`). Every entry is acknowledged with a reaction and a reply in the room it came from, and
told in the other rooms in their language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.delivery import Delivery, minutes_file_name
from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.authority import Role
from bot.domain.fair_use import ANNOUNCES
from bot.domain.messages import Code, Msg, Name, UserText
from bot.domain.minutes import ACTION, AGREED, IDEA, INFO
from bot.domain.outcomes import Outcome, React, reply
from bot.domain.schedule import parse_date
from bot.domain.wording import adds_something
from bot.framework.commands import CommandGroup, Param, command, to_number, to_person
from bot.framework.context import CommandContext
from bot.framework.errors import CommandError, NoMeeting, UsageError
from bot.services.commitments import Commitments
from bot.services.decisions import DUE_WORDS, Author, DecisionLog, check_text, tell_rooms
from bot.services.minutes import MeetingNotFound, MinutesService
from bot.storage.decisions_store import LogRecord

NOTED = "✅"
UNDONE = "↩️"
FILED = "📄"


def author_of(ctx: CommandContext) -> Author:
    return Author(ctx.sender, ctx.sender_name, ctx.room, ctx.event_id, ctx.ts)


def room_today(room: AssemblyRoom) -> date:
    return datetime.now(ZoneInfo(room.timezone)).date()


def split_due(text: str, today: date) -> tuple[str, date | None]:
    """`call the hall due 2025-03-10` → ("call the hall", 2025-03-10). After "due" the date must
    be valid; after the Spanish "para" a non-date is just part of the text."""
    words = text.split()
    if len(words) >= 3 and words[-2].lower() in DUE_WORDS:
        due = parse_date(words[-1], today)
        if due is not None:
            return " ".join(words[:-2]), due
        if words[-2].lower() == "due":
            raise UsageError("records.bad_due", value=words[-1])
    return text, None


def entry_text(entry: LogRecord, room: AssemblyRoom) -> UserText:
    """The entry's words for a reader in `room`: the stored translation, with the original."""
    translated = entry.translations.get(room.language)
    if room.language != entry.language and adds_something(translated, entry.text):
        return UserText(str(translated), room.language, original=entry.text)
    return UserText(entry.text, entry.language)


class RecordsCommands(CommandGroup):
    group_name = "records"
    help_names = ("records", "registro")

    def __init__(
        self,
        log: DecisionLog,
        commitments: Commitments,
        minutes: MinutesService,
        delivery: Delivery,
        display_name: Callable[[Assembly, str], str],
        center_of: Callable[[Assembly, str], str],
        prefix: str,
    ) -> None:
        self._log = log
        self._commitments = commitments
        self._minutes = minutes
        self._delivery = delivery
        self._display_name = display_name
        self._center_of = center_of
        self._prefix = prefix

    @command(
        "agreed",
        "acuerdo",
        Param("entry_text", rest=True, optional=True),
        needs=Role.CHAIR,
        cost=ANNOUNCES,
    )
    async def agreed(self, ctx: CommandContext, entry_text: str | None = None) -> list[Outcome]:
        return await self._record(ctx, AGREED, entry_text)

    @command(
        "action",
        "tarea",
        Param("owner", convert=to_person),
        Param("action_text", rest=True, optional=True),
        needs=Role.CHAIR,
        cost=ANNOUNCES,
    )
    async def action(
        self, ctx: CommandContext, owner: str, action_text: str | None = None
    ) -> list[Outcome]:
        text, due = split_due(action_text or "", room_today(ctx.room))
        self._log.check_owner(ctx.assembly, owner)
        return await self._record(ctx, ACTION, text, owner=owner, due=due)

    @command(
        "info",
        "nota",
        Param("entry_text", rest=True, optional=True),
        aliases=("note",),
        cost=ANNOUNCES,
    )
    async def info(self, ctx: CommandContext, entry_text: str | None = None) -> list[Outcome]:
        return await self._record(ctx, INFO, entry_text)

    @command("idea", "sugerencia", Param("entry_text", rest=True, optional=True), cost=ANNOUNCES)
    async def idea(self, ctx: CommandContext, entry_text: str | None = None) -> list[Outcome]:
        return await self._record(ctx, IDEA, entry_text)

    @command("undo", "deshacer", needs=Role.CHAIR, cost=ANNOUNCES)
    async def undo(self, ctx: CommandContext) -> list[Outcome]:
        entry = await self._log.undo_last(ctx.assembly, ctx.sender)
        if entry.kind == ACTION:
            await self._commitments.withdraw(entry)

        def told(room: AssemblyRoom) -> list[Msg]:
            return [
                Msg.of(
                    "records.undone_by",
                    name=ctx.sender_person,
                    kind=Msg.of(f"records.kind.{entry.kind}"),
                    id=Code(f"#{entry.number}"),
                    text=entry_text(entry, room),
                )
            ]

        await tell_rooms(
            self._delivery,
            ctx.assembly,
            ctx.assembly.other_rooms(ctx.room.room_id),
            told,
            cause=f"records:{ctx.event_id}",
        )
        line = Msg.of(
            "records.undone",
            kind=Msg.of(f"records.kind.{entry.kind}"),
            id=Code(f"#{entry.number}"),
            text=entry_text(entry, ctx.room),
        )
        return [React(UNDONE), reply(line)]

    @command(
        "minutes",
        "acta",
        Param("meeting_number", convert=to_number, optional=True),
        aliases_es=("minuta", "actas"),
        cost=ANNOUNCES,
    )
    async def minutes(
        self, ctx: CommandContext, meeting_number: int | None = None
    ) -> list[Outcome]:
        try:
            meeting = await self._minutes.meeting(ctx.assembly.name, meeting_number)
        except MeetingNotFound:
            if meeting_number is None:
                raise NoMeeting(ever=True) from None
            raise CommandError("minutes.unknown_meeting", id=Code(f"#{meeting_number}")) from None
        data = await self._minutes.build(
            meeting,
            ctx.assembly.rooms,
            name_of=lambda user: self._display_name(ctx.assembly, user),
            center_of=lambda user: self._center_of(ctx.assembly, user),
        )
        await self._delivery.queue_minutes(ctx.assembly, data, cause=f"minutes:{ctx.event_id}")
        title = UserText(meeting.title, meeting.title_language)
        # The other rooms did not ask: they are told whose files these are and what they hold.
        await tell_rooms(
            self._delivery,
            ctx.assembly,
            ctx.assembly.other_rooms(ctx.room.room_id),
            lambda room: [self._minutes_here(ctx, meeting.id, title, room)],
            cause=f"minutes-told:{ctx.event_id}",
        )
        line = Msg.of("minutes.posted", id=Code(f"#{meeting.id}"), title=title)
        return [React(FILED), reply(line)]

    def _minutes_here(
        self, ctx: CommandContext, meeting_id: int, title: UserText, room: AssemblyRoom
    ) -> Msg:
        return Msg.of(
            "minutes.posted_here",
            name=Name(ctx.sender_name),
            center=self._center_of(ctx.assembly, ctx.sender) or ctx.room.center,
            id=Code(f"#{meeting_id}"),
            title=title,
            language=Msg.of(f"language.{room.language}"),
            markdown=Code(minutes_file_name(meeting_id, room.language, "md")),
            html=Code(minutes_file_name(meeting_id, room.language, "html")),
        )

    async def _record(
        self,
        ctx: CommandContext,
        kind: str,
        text: str | None,
        *,
        owner: str | None = None,
        due: date | None = None,
    ) -> list[Outcome]:
        words = check_text(text, f"records.needs_text.{kind}", self._prefix)
        entry = await self._log.record(
            ctx.assembly, author_of(ctx), kind, words, owner=owner, due=due
        )
        # An action item is a commitment of the assembly, followed beyond this meeting.
        follow = []
        if kind == ACTION:
            commitment = await self._commitments.take_on(entry)
            follow.append(Msg.of("records.commitment", label=Code(commitment.label)))
        await tell_rooms(
            self._delivery,
            ctx.assembly,
            ctx.assembly.other_rooms(ctx.room.room_id),
            lambda room: [self._told(ctx, entry, room), *follow],
            cause=f"records:{ctx.event_id}",
        )
        return [React(NOTED), reply(self._noted(entry, ctx.room), *follow)]

    def _noted(self, entry: LogRecord, room: AssemblyRoom) -> Msg:
        values = {"id": Code(f"#{entry.number}"), "text": entry_text(entry, room)}
        if entry.kind == ACTION:
            values["owner"] = Name(entry.owner_name or entry.owner or "", center=entry.owner_center)
            key = "records.noted.action_due" if entry.due else "records.noted.action"
            if entry.due:
                values["due"] = entry.due.isoformat()
            return Msg(key, values)
        return Msg(f"records.noted.{entry.kind}", values)

    def _told(self, ctx: CommandContext, entry: LogRecord, room: AssemblyRoom) -> Msg:
        return Msg.of(
            "records.told",
            name=Name(ctx.sender_name),
            center=entry.author_center,
            entry=self._noted(entry, room),
        )
