"""Between meetings: commitments, the decision register and the approval of minutes.

`!complete` / `!cumplido`, `!drop` / `!descartar`, `!commitments` / `!compromisos`,
`!decisions` / `!decisiones`, `!approve` / `!aprobar`, `!correct` / `!enmendar`. A commitment is
named by its assembly-wide number, `C12` (or just `12`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.delivery import Delivery
from bot.domain.assembly import Assembly
from bot.domain.authority import Role
from bot.domain.commitments import read_label
from bot.domain.fair_use import ANNOUNCES
from bot.domain.messages import Code, Msg, Name, UserText
from bot.domain.outcomes import Outcome, React, Reply, announce, reply
from bot.framework.commands import (
    CommandGroup,
    Param,
    Reads,
    Roster,
    command,
    read_person,
    to_number,
)
from bot.framework.context import CommandContext
from bot.framework.errors import UsageError
from bot.framework.parsing import Mention
from bot.render import commitments as phrases
from bot.services.approvals import MinutesApprovals
from bot.services.commitments import Commitments, Note, Wanted
from bot.services.register import Found, Register
from commands.records import NOTED, author_of

# Words `!commitments` takes for the overdue ones, in either language.
OVERDUE_WORDS = ("overdue", "late", "vencidos", "vencidas", "atrasados", "atrasadas")
APPROVED = "✅"


def _read_which(words: Sequence[str], roster: Roster, whole: bool) -> tuple[object, int]:
    """What `!commitments` is asked for: a person (a pill, a Matrix id, or "@" and a name) as
    `Person`, anything else as its word (a center, "overdue", a commitment)."""
    word = words[0]
    if isinstance(word, Mention) or word.startswith("@"):
        user_id, taken = read_person(words, roster, whole=whole)
        return Person(user_id), taken
    return word, 1


@dataclass(frozen=True)
class Person:
    user_id: str


to_which = Reads(_read_which)


def to_commitment(word: str) -> int:
    number = read_label(word)
    if number is None:
        raise UsageError("commitments.bad_label", value=word)
    return number


class CommitmentsCommands(CommandGroup):
    group_name = "commitments"
    help_names = ("followup", "seguimiento")

    def __init__(
        self,
        commitments: Commitments,
        register: Register,
        approvals: MinutesApprovals,
        delivery: Delivery,
        person: Callable[[Assembly, str], Name],
        prefix: str,
    ) -> None:
        self._commitments = commitments
        self._register = register
        self._approvals = approvals
        self._delivery = delivery
        # Someone the history names, beside their center.
        self._person = person
        self._prefix = prefix

    # -- commitments --------------------------------------------------------------------------

    @command(
        "complete",
        "cumplido",
        Param("commitment", to_commitment),
        Param("note", rest=True, optional=True),
        cost=ANNOUNCES,
    )
    async def complete(
        self, ctx: CommandContext, commitment: int, note: str | None = None
    ) -> list[Outcome]:
        done = await self._commitments.complete(
            ctx.assembly, commitment, ctx.authority, Note(note, ctx.language)
        )
        return [React(NOTED), announce(phrases.closed(done, ctx.sender_person))]

    @command(
        "drop",
        "descartar",
        Param("commitment", to_commitment),
        Param("reason", rest=True, optional=True),
        needs=Role.CHAIR,
        cost=ANNOUNCES,
    )
    async def drop(
        self, ctx: CommandContext, commitment: int, reason: str | None = None
    ) -> list[Outcome]:
        dropped = await self._commitments.drop(
            ctx.assembly, commitment, ctx.sender, Note(reason, ctx.language)
        )
        return [React(NOTED), announce(phrases.closed(dropped, ctx.sender_person))]

    @command("commitments", "compromisos", Param("which", to_which, optional=True))
    async def commitments(self, ctx: CommandContext, which: str | Person | None = None) -> Reply:
        if isinstance(which, Person):
            found = await self._commitments.listing(ctx.assembly, Wanted(person=which.user_id))
            return reply(*phrases.listing(found, self._prefix, overdue_only=False))
        number = read_label(which) if which else None
        if number is not None:
            return reply(*await self._one(ctx, number))
        wanted = self._wanted(ctx.assembly, which)
        found = await self._commitments.listing(ctx.assembly, wanted)
        return reply(*phrases.listing(found, self._prefix, overdue_only=wanted.overdue_only))

    def _wanted(self, assembly: Assembly, which: str | None) -> Wanted:
        if not which:
            return Wanted()
        if which.lower() in OVERDUE_WORDS:
            return Wanted(overdue_only=True)
        for center in assembly.centers:
            if which.lower() == center.lower():
                return Wanted(center=center)
        raise UsageError(
            "commitments.bad_filter", value=which, centers=", ".join(assembly.centers)
        )

    async def _one(self, ctx: CommandContext, number: int) -> list[Msg]:
        commitment = await self._commitments.find(ctx.assembly, number)
        events = await self._commitments.history(commitment)
        return phrases.history(
            commitment,
            events,
            ctx.room.timezone,
            lambda user: self._person(ctx.assembly, user),
            overdue=self._commitments.is_overdue(ctx.assembly, commitment),
        )

    # -- the decision register ---------------------------------------------------------------

    @command("decisions", "decisiones", Param("search_words", rest=True))
    async def decisions(self, ctx: CommandContext, search_words: str) -> Reply:
        results = await self._register.search(ctx.assembly, search_words.split())
        if not results:
            return reply(Msg.of("register.none", words=search_words))
        lines = [Msg.of("register.header", words=search_words, count=len(results))]
        return reply(*lines, *(self._found(result, ctx.room.timezone) for result in results))

    def _found(self, result: Found, zone: str) -> Msg:
        """`2025-03-10 · meeting #1 “Monthly assembly” · agreement #2: … · !minutes 1`."""
        entry = result.entry
        when = datetime.fromtimestamp(entry.created_at / 1000, UTC).astimezone(ZoneInfo(zone))
        values: dict[str, object] = {
            "date": when.date().isoformat(),
            "number": Code(f"#{result.number}" if result.number is not None else "#?"),
            "text": UserText(entry.text, entry.language),
            "prefix": self._prefix,
        }
        kind = "poll" if entry.kind == "poll" else "agreed"
        if entry.kind == "poll":
            values["outcome"] = Msg.of(f"register.outcome.{entry.outcome or 'open'}")
        if result.meeting is None:
            return Msg(f"register.{kind}_outside", values)
        values["id"] = result.meeting.id
        values["title"] = UserText(result.meeting.title, result.meeting.title_language)
        return Msg(f"register.{kind}", values)

    # -- minutes the assembly approves -------------------------------------------------------

    @command(
        "approve",
        "aprobar",
        Param("meeting_number", convert=to_number, optional=True),
        needs=Role.CHAIR,
        cost=ANNOUNCES,
    )
    async def approve(
        self, ctx: CommandContext, meeting_number: int | None = None
    ) -> list[Outcome]:
        approved = await self._approvals.approve(
            ctx.assembly, author_of(ctx), meeting_number, self._delivery.text
        )
        line = Msg.of(
            "approval.recorded",
            name=ctx.sender_person,
            number=Code(f"#{approved.entry.number}"),
            id=approved.meeting.id,
            title=UserText(approved.meeting.title, approved.meeting.title_language),
            prefix=self._prefix,
        )
        return [React(APPROVED), announce(line)]

    @command(
        "correct",
        "enmendar",
        Param("meeting_number", convert=to_number),
        Param("correction", rest=True, optional=True),
        needs=Role.CHAIR,
        cost=ANNOUNCES,
    )
    async def correct(
        self, ctx: CommandContext, meeting_number: int, correction: str | None = None
    ) -> list[Outcome]:
        meeting, made = await self._approvals.correct(
            ctx.assembly, author_of(ctx), meeting_number, correction
        )
        line = Msg.of(
            "approval.corrected",
            name=ctx.sender_person,
            id=meeting.id,
            text=UserText(made.text, made.language),
            prefix=self._prefix,
        )
        return [React(NOTED), announce(line)]

