"""The speaker stack: raising hands (also with a ✋ reaction), calling speakers, the order.

`!hand` / `!mano`, `!direct` / `!directa`, `!process` / `!proceso`, `!lower` / `!bajar`,
`!done` / `!listo`, `!stack` / `!turnos`, `!call` / `!llamar`, `!remove` / `!retirar`,
`!clearstack` / `!vaciarturnos`, `!policy` / `!política`, `!timelimit` / `!tiempo`.

A turn ends when its speaker says so (`!done`, or `!lower` while speaking), when a chair closes it
(`!done`) or at the next `!call`; how long it counts is `bot.domain.speaking_time`'s rule, and
the line that tells the turn is over says what was counted.

A raised hand is told in one line (its place, and who is first); the whole stack is shown when
asked for and whenever it changes otherwise (the floor given, a hand lowered or removed, a new
order). Messages that show the stack are queued through the `StackBoard` rather than returned,
so that the latest one in each room is known: a ✋ on it raises a hand. The one-line answers to
hands leave it the latest, so that several people can react on the same message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from bot.domain.assembly import Assembly
from bot.domain.authority import Role
from bot.domain.events import REACTION, IncomingEvent
from bot.domain.fair_use import ANNOUNCES
from bot.domain.messages import Msg, Name
from bot.domain.outcomes import Announce, Outcome, Reply, announce, reply
from bot.domain.stack import Hand, StackPolicy, TurnKind
from bot.framework.commands import (
    CommandGroup,
    Param,
    command,
    to_duration_seconds,
    to_person,
)
from bot.framework.context import CommandContext
from bot.framework.errors import CommandError, UsageError
from bot.render import meetings as phrases
from bot.services.meetings import MeetingService
from bot.services.people import People
from bot.services.stack import Called, Ended, Raised, StackBoard, StackService, StackView

RAISED_HAND = "✋"
# A hand raised by `!hand` or by a ✋ is announced in every room: both cost the same.
HAND_COST = ANNOUNCES
# Asking for the queue may be asking to join it or to see it: answered with both commands.
QUEUE_WORDS = ("queue", "q", "cola", "fila")
# Variation selectors and skin tones: ✋️ and ✋🏽 are the same raised hand.
_HAND_MODIFIERS = dict.fromkeys([0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400)])

_POLICIES = {
    "fifo": StackPolicy.FIFO,
    "progressive": StackPolicy.PROGRESSIVE,
    "progresiva": StackPolicy.PROGRESSIVE,
    "progresivo": StackPolicy.PROGRESSIVE,
    "alternate": StackPolicy.ALTERNATE,
    "alterna": StackPolicy.ALTERNATE,
    "alternada": StackPolicy.ALTERNATE,
    "alternar": StackPolicy.ALTERNATE,
}
_NO_LIMIT = {"off", "none", "no", "ninguno", "sin", "0"}


def to_policy(word: str) -> StackPolicy:
    policy = _POLICIES.get(word.strip().lower())
    if policy is None:
        raise UsageError("stack.bad_policy", value=word)
    return policy


def to_turn_limit(word: str) -> int | None:
    """A duration, or `off` / `no` for no limit (None)."""
    if word.strip().lower() in _NO_LIMIT:
        return None
    try:
        return to_duration_seconds(word)
    except UsageError:
        raise UsageError("stack.bad_limit", value=word) from None


def is_raised_hand(key: str) -> bool:
    return key.translate(_HAND_MODIFIERS) == RAISED_HAND


def wants_raised_hand(event: IncomingEvent) -> bool:
    """A ✋ reaction; whether it is on the latest stack message is checked when handling it."""
    relation = event.content.get("m.relates_to")
    key = relation.get("key") if isinstance(relation, dict) else None
    return (
        event.type == REACTION
        and event.rel_type == "m.annotation"
        and isinstance(key, str)
        and is_raised_hand(key)
    )


class StackCommands(CommandGroup):
    group_name = "stack"
    help_names = ("stack", "turnos")

    def __init__(
        self,
        stack: StackService,
        meetings: MeetingService,
        board: StackBoard,
        people: People,
        assembly_of: Callable[[str], Assembly | None],
        guard: Callable[[], AbstractAsyncContextManager[None]],
        charge: Callable[[Assembly, str, float], Awaitable[bool]],
    ) -> None:
        self._stack = stack
        self._meetings = meetings
        self._board = board
        self._people = people
        self._assembly_of = assembly_of
        self._guard = guard
        # Fair use for a ✋, which no command declaration prices (the router's rule).
        self._charge = charge

    @command(
        "hand",
        "mano",
        aliases=("q+", "raise", "raise hand", "raise my hand", "speak", "hand up"),
        aliases_es=(
            "palabra",
            "pido la palabra",
            "pido palabra",
            "pido",
            "turno",
            "pido turno",
            "quiero hablar",
            "levanto la mano",
        ),
        hints=QUEUE_WORDS,
        cost=HAND_COST,
    )
    async def hand(self, ctx: CommandContext) -> list[Outcome]:
        return await self._raise(ctx, TurnKind.ORDINARY)

    @command("direct", "directa", cost=ANNOUNCES)
    async def direct(self, ctx: CommandContext) -> list[Outcome]:
        return await self._raise(ctx, TurnKind.DIRECT_RESPONSE)

    @command("process", "proceso", cost=ANNOUNCES)
    async def process(self, ctx: CommandContext) -> list[Outcome]:
        return await self._raise(ctx, TurnKind.POINT_OF_PROCESS)

    @command(
        "lower",
        "bajar",
        aliases=("q-", "unraise", "lower hand", "lower my hand", "hand down"),
        aliases_es=("bajar la mano", "bajo la mano", "bajar mano"),
        cost=ANNOUNCES,
    )
    async def lower(self, ctx: CommandContext) -> list[Outcome]:
        lowered = await self._stack.lower(ctx.assembly, ctx.sender)
        lines = [self._ended(ctx.assembly, lowered.ended)] if lowered.ended else []
        if lowered.hands:
            person = self._person(ctx.assembly, lowered.hands[0])
            lines.append(Msg.of("stack.lowered", person=person))
        view = lowered.view
        return await self._show(ctx, view, announce(*lines, *self._lines(ctx.assembly, view)))

    @command(
        "done",
        "listo",
        aliases=("finished",),
        aliases_es=("terminé", "ya terminé"),
        needs=Role.SPEAKER,
        cost=ANNOUNCES,
    )
    async def done(self, ctx: CommandContext) -> list[Outcome]:
        ended, view = await self._stack.end_turn(ctx.assembly, ctx.sender)
        line = self._ended(ctx.assembly, ended)
        return await self._show(ctx, view, announce(line, *self._lines(ctx.assembly, view)))

    @command(
        "stack",
        "turnos",
        aliases=("q?", "queue?", "speakers", "who is next"),
        aliases_es=("lista de turnos", "lista", "quién sigue"),
        hints=QUEUE_WORDS,
    )
    async def show_stack(self, ctx: CommandContext) -> list[Outcome]:
        view = await self._stack.view(ctx.assembly)
        return await self._show(ctx, view, reply(*self._lines(ctx.assembly, view)))

    @command(
        "call",
        "llamar",
        aliases=("next speaker", "ack"),
        aliases_es=("siguiente turno", "dar la palabra"),
        hints=("próximo",),  # the next speaker, or the next agenda item?
        needs=Role.CHAIR,
        cost=ANNOUNCES,
    )
    async def call(self, ctx: CommandContext) -> list[Outcome]:
        called = await self._stack.call_next(ctx.assembly)
        return await self._show(ctx, called.view, self._floor(ctx.assembly, called))

    @command("remove", "retirar", Param("person", to_person), needs=Role.CHAIR, cost=ANNOUNCES)
    async def remove(self, ctx: CommandContext, person: str) -> list[Outcome]:
        removed, view = await self._stack.remove(ctx.assembly, person)
        line = Msg.of("stack.removed", person=self._person(ctx.assembly, removed[0]))
        return await self._show(ctx, view, announce(line, *self._lines(ctx.assembly, view)))

    @command("clearstack", "vaciarturnos", needs=Role.CHAIR, cost=ANNOUNCES)
    async def clear(self, ctx: CommandContext) -> list[Outcome]:
        cleared, view = await self._stack.clear(ctx.assembly)
        line = Msg.of("stack.cleared", count=len(cleared))
        return await self._show(ctx, view, announce(line, *self._lines(ctx.assembly, view)))

    @command("policy", "política", Param("policy", to_policy), needs=Role.CHAIR, cost=ANNOUNCES)
    async def policy(self, ctx: CommandContext, policy: StackPolicy) -> list[Outcome]:
        await self._meetings.set_policy(ctx.assembly, policy)
        view = await self._stack.view(ctx.assembly)
        line = Msg.of("stack.policy_changed", policy=phrases.policy(policy))
        return await self._show(ctx, view, announce(line, *self._lines(ctx.assembly, view)))

    @command("timelimit", "tiempo", Param("limit", to_turn_limit), needs=Role.CHAIR, cost=ANNOUNCES)
    async def time_limit(self, ctx: CommandContext, limit: int | None) -> Announce:
        await self._meetings.set_turn_limit(ctx.assembly, limit)
        if limit is None:
            return announce(Msg.of("stack.limit_off"))
        return announce(Msg.of("stack.limit_set", limit=phrases.duration(limit)))

    async def on_reaction(self, event: IncomingEvent) -> None:
        """A ✋ on the latest stack message of a room raises an ordinary hand; any other
        reaction is no concern of the stack's."""
        if not wants_raised_hand(event):
            return
        assembly = self._assembly_of(event.room_id)
        meeting = await self._meetings.current(assembly) if assembly else None
        if assembly is None or meeting is None:
            return
        if not await self._board.is_latest(meeting, event.room_id, event.relates_to):
            return
        if not await self._charge(assembly, event.sender, HAND_COST):
            return  # over budget: a reaction gets no answer, the next refused command does
        try:
            async with self._guard():
                raised = await self._stack.raise_hand(assembly, event.sender, event.room_id)
                if raised.is_new:
                    outcome = announce(self._raised_line(assembly, raised))
                    await self._board.tell(outcome, cause=event.event_id, assembly=assembly)
        except CommandError:
            return  # the meeting closed meanwhile: a stray reaction needs no answer

    async def _raise(self, ctx: CommandContext, kind: TurnKind) -> list[Outcome]:
        raised = await self._stack.raise_hand(ctx.assembly, ctx.sender, ctx.room.room_id, kind)
        if not raised.is_new:
            return [
                reply(
                    Msg.of(
                        "stack.already_waiting",
                        kind=phrases.kind(kind),
                        position=raised.position,
                    )
                )
            ]
        return [announce(self._raised_line(ctx.assembly, raised))]

    def _raised_line(self, assembly: Assembly, raised: Raised) -> Msg:
        return phrases.hand_raised(raised.hand, raised.view.waiting, self._names(assembly))

    def _floor(self, assembly: Assembly, called: Called) -> Announce:
        """Who has the floor now (pinged in their own room), and who waits after them."""
        names = self._names(assembly)
        view = called.view
        after = self._lines(assembly, view, with_speaker=False)
        turn = called.started
        if turn is None:
            ended = called.ended
            assert ended is not None
            who = phrases.person(names(ended.user_id), ended.center)
            return announce(Msg.of("stack.turn_over_nobody_waiting", person=who), *after)
        who = phrases.person(names(turn.user_id), turn.center)
        if turn.kind is TurnKind.ORDINARY:
            lines = [Msg.of("stack.floor", person=who)]
        else:
            lines = [Msg.of("stack.floor_kind", person=who, kind=phrases.kind(turn.kind))]
        if turn.limit_seconds:
            lines.append(Msg.of("stack.floor_limit", limit=phrases.duration(turn.limit_seconds)))
        return announce(*lines, *after, mention=(turn.user_id,))

    def _ended(self, assembly: Assembly, ended: Ended) -> Msg:
        """A turn over before the next call, with the speaking time it counts."""
        turn = ended.turn
        who = phrases.person(self._people.display_name(assembly, turn.user_id), turn.center)
        key = "stack.done" if ended.by_speaker else "stack.closed_by_chair"
        return Msg.of(key, person=who, spoken=phrases.duration(ended.timed.seconds))

    def _lines(self, assembly: Assembly, view: StackView, with_speaker: bool = True) -> list[Msg]:
        speaker = view.speaker if with_speaker else None
        return phrases.stack(view.policy, view.waiting, speaker, self._names(assembly))

    async def _show(
        self, ctx: CommandContext, view: StackView, outcome: Reply | Announce
    ) -> list[Outcome]:
        # A cause of its own: the dispatcher queues this event's other outcomes under the event id.
        await self._board.show(
            view.meeting,
            outcome,
            cause=f"{ctx.event_id}|stack",
            assembly=ctx.assembly,
            room=ctx.room,
            reply_to=ctx.event_id,
        )
        return []

    def _person(self, assembly: Assembly, hand: Hand) -> Name:
        return phrases.person(self._people.display_name(assembly, hand.user_id), hand.center)

    def _names(self, assembly: Assembly) -> phrases.Names:
        return lambda user_id: self._people.display_name(assembly, user_id)
