"""`!poll` / `!votación`, `!vote` / `!votar`, `!close` / `!cerrar`, `!polls` / `!votaciones`,
`!results` / `!resultados`, and `!ballot` / `!papeleta`.

The words people type are read in the domain (`bot.domain.poll_input`); these thin handlers pass
what was read to the poll service and its result on to the room.
"""

from __future__ import annotations

from bot.domain.authority import Role
from bot.domain.fair_use import ANNOUNCES
from bot.domain.messages import Msg
from bot.domain.outcomes import Announce, Outcome, React, Reply, announce, reply
from bot.domain.poll_input import (
    parse_poll_number,
    read_ballot,
    read_poll_request,
    split_poll_number,
)
from bot.domain.polls import Progress, joined, needs_reason, reason_request
from bot.domain.tally import DecisionRule
from bot.framework.commands import CommandGroup, Param, command
from bot.framework.context import CommandContext
from bot.framework.errors import PermissionDenied
from bot.render.polls import opened_lines, progress_lines, result_lines
from bot.services.ballots import BallotBox
from bot.services.polls import PollService

VOTED = "✅"


# -- the commands ----------------------------------------------------------------------------------


class PollCommands(CommandGroup):
    group_name = "polls"
    help_names = ("polls", "votaciones")

    def __init__(self, polls: PollService, ballots: BallotBox, prefix: str) -> None:
        self._polls = polls
        self._ballots = ballots
        self._prefix = prefix

    @command(
        "poll",
        "votación",
        Param("poll_spec", rest=True, words=True),
        aliases_es=("encuesta",),
        needs=Role.CHAIR,
        cost=ANNOUNCES,
        details=True,
    )
    async def poll(self, ctx: CommandContext, poll_spec: tuple[str, ...]) -> Announce:
        request = read_poll_request(poll_spec, DecisionRule(ctx.assembly.decision_rule))
        poll = await self._polls.create(
            request,
            assembly=ctx.assembly,
            room=ctx.room,
            author=ctx.sender,
            cause=ctx.event_id,
            ts=ctx.ts,
        )
        small = self._polls.small_centers(ctx.assembly, poll)
        return announce(
            *opened_lines(poll, ctx.assembly, ctx.sender_name, ctx.room.center, self._prefix, small)
        )

    @command(
        "vote",
        "votar",
        Param("ballot", rest=True, words=True),
        aliases_es=("voto",),
        # An answer typed as a command: the vote it means, with an example.
        hints=("yes", "no", "abstain", "sí", "abstención"),
        private=True,
        details=True,
    )
    async def vote(self, ctx: CommandContext, ballot: tuple[str, ...]) -> list[Outcome]:
        number, words = split_poll_number(ballot)
        poll = await self._polls.open_poll(ctx.assembly, number, secret=ctx.private)
        choice = read_ballot(poll, words)
        await self._polls.vote(
            poll,
            choice,
            assembly=ctx.assembly,
            room=ctx.room,
            voter=ctx.sender,
            event_id=ctx.event_id,
            ts=ctx.ts,
            private=ctx.private,
        )
        outcomes: list[Outcome] = [React(VOTED)]
        if ctx.private:
            # Worded without the choice: the bot's own messages are kept in its database.
            outcomes.append(reply(Msg.of("poll.ballot.counted")))
        elif needs_reason(poll, choice):
            outcomes.append(reply(reason_request(poll, choice, self._prefix)))
        return outcomes

    @command(
        "ballot",
        "papeleta",
        Param("poll_number", parse_poll_number, optional=True),
        aliases=("secret ballot",),
        aliases_es=("boleta",),
        private=True,
    )
    async def ballot(self, ctx: CommandContext, poll_number: int | None = None) -> Reply:
        """A secret poll's ballot, in the sender's direct chat with the bot."""
        request = await self._ballots.request(ctx.assembly, ctx.sender, poll_number, ts=ctx.ts)
        if not request.polls:
            return reply(Msg.of("poll.ballot.none_open"))
        if request.chat_pending:
            return reply(Msg.of("poll.ballot.coming"))
        numbers = joined([f"#{poll.shown_number}" for poll in request.polls])
        return reply(Msg.of("poll.ballot.sent", polls=numbers))

    @command(
        "close",
        "cerrar",
        Param("poll_number", parse_poll_number, optional=True),
        needs=Role.CHAIR,
        cost=ANNOUNCES,
    )
    async def close(self, ctx: CommandContext, poll_number: int | None = None) -> None:
        poll = await self._polls.open_poll(ctx.assembly, poll_number)
        if not ctx.authority.reaches_meeting(poll.meeting_id):
            raise PermissionDenied("poll.error.other_meeting", number=poll.shown_number)
        # The result is announced in every room by the service, after the poll's end events.
        await self._polls.close_poll(ctx.assembly, poll, closed_by=ctx.sender, ts=ctx.ts)

    @command("polls", "votaciones", aliases_es=("encuestas",))
    async def polls(self, ctx: CommandContext) -> Reply:
        open_polls = await self._polls.open_polls(ctx.assembly)
        if not open_polls:
            return reply(Msg.of("poll.list.none"))
        lines = [Msg.of("poll.list.header")]
        for progress in open_polls:
            lines.extend(_progress(progress, ctx))
        return reply(*lines)

    @command(
        "results",
        "resultados",
        Param("poll_number", parse_poll_number, optional=True),
        aliases=("result", "tally"),
        aliases_es=("resultado", "conteo", "recuento"),
    )
    async def results(self, ctx: CommandContext, poll_number: int | None = None) -> Reply:
        found = await self._polls.results(ctx.assembly, poll_number)
        if isinstance(found, Progress):
            return reply(*_progress(found, ctx))
        return reply(*result_lines(found))


def _progress(progress: Progress, ctx: CommandContext) -> list[Msg]:
    return progress_lines(progress, ctx.assembly)
