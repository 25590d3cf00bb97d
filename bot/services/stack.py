"""The speaker stack of the open meeting, kept in the database.

Each operation rebuilds the domain's `SpeakerStack` from the stored hands and turns, lets it
decide, and stores what changed, so a restart in the middle of a meeting loses nothing. Every
turn is recorded (who, center, kind, start, end, what ended it, when its speaker last wrote) for
the minutes and the equity statistics, which count it as `bot.domain.speaking_time` says.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.errors import CommandError
from bot.domain.meetings import Meeting, Turn, TurnEnd, speaking_record
from bot.domain.outcomes import Outcome
from bot.domain.speaking_time import TimedTurn, time_spoken
from bot.domain.stack import Hand, SpeakerStack, StackPolicy, TurnKind
from bot.services.meetings import RAISED_HAND, SPOKE, MeetingService
from bot.services.people import People
from bot.storage.meetings_store import MeetingsStore


class TurnWatch(Protocol):
    def watch_turn(self, turn: Turn) -> None: ...


@dataclass(frozen=True)
class StackView:
    """The stack as everyone should see it: the order, who speaks now, who waits (front first)."""

    meeting: Meeting
    policy: StackPolicy
    speaker: Turn | None
    waiting: tuple[Hand, ...]


@dataclass(frozen=True)
class Raised:
    hand: Hand
    is_new: bool
    view: StackView

    @property
    def position(self) -> int:
        return self.view.waiting.index(self.hand) + 1


@dataclass(frozen=True)
class Ended:
    """A turn closed before the next call: by its speaker or by a chair, and how long it
    counts."""

    turn: Turn
    timed: TimedTurn

    @property
    def by_speaker(self) -> bool:
        return self.turn.ended_by is TurnEnd.SPEAKER


@dataclass(frozen=True)
class Lowered:
    """What `!lower` did: the hands lowered, and the turn ended if the person was speaking."""

    hands: list[Hand]
    ended: Ended | None
    view: StackView


@dataclass(frozen=True)
class Called:
    """What calling the next speaker did: whose turn ended, whose began."""

    ended: Turn | None
    started: Turn | None
    view: StackView


class StackService:
    def __init__(
        self,
        store: MeetingsStore,
        meetings: MeetingService,
        people: People,
        timers: TurnWatch,
    ) -> None:
        self._store = store
        self._meetings = meetings
        self._people = people
        self._timers = timers
        # Asked on every message said during a meeting (is it the speaker's?): who holds the
        # floor in each meeting, as (turn id, user id), read once and forgotten whenever a turn
        # starts or ends.
        self._speakers: dict[int, tuple[int, str] | None] = {}

    async def view(self, assembly: Assembly) -> StackView:
        return await self._view(await self._meetings.require(assembly))

    async def raise_hand(
        self, assembly: Assembly, user_id: str, room_id: str, kind: TurnKind = TurnKind.ORDINARY
    ) -> Raised:
        """Put a hand up; raising the same kind again keeps the place already held."""
        meeting = await self._meetings.require(assembly)
        stack = await self._stack(meeting)
        center = self._people.center_of(assembly, user_id, spoken_in=room_id)
        is_new = not stack.is_waiting(user_id, kind)
        hand = stack.raise_hand(user_id, center, kind)
        if is_new:
            await self._store.add_hand(meeting.id, hand, self._meetings.clock())
            await self._meetings.mark_present_in(meeting, assembly, user_id, room_id, RAISED_HAND)
        return Raised(hand, is_new, await self._view(meeting))

    async def lower(self, assembly: Assembly, user_id: str) -> Lowered:
        """A person lowers every hand they hold; lowering it while speaking ends their turn."""
        meeting = await self._meetings.require(assembly)
        stack = await self._stack(meeting)
        lowered = stack.lower_hand(user_id)
        speaking = await self._store.current_turn(meeting.id)
        ended = None
        if speaking is not None and speaking.user_id == user_id:
            ended = await self._end(speaking, TurnEnd.SPEAKER)
        elif not lowered:
            raise CommandError("stack.not_waiting")
        await self._store.remove_hands(meeting.id, lowered)
        return Lowered(lowered, ended, await self._view(meeting))

    async def end_turn(self, assembly: Assembly, user_id: str) -> tuple[Ended, StackView]:
        """`!done`: the speaker says they are done, or a chair closes their turn (the router
        lets nobody else ask)."""
        meeting = await self._meetings.require(assembly)
        speaking = await self._store.current_turn(meeting.id)
        if speaking is None:
            raise CommandError("stack.nobody_speaking")
        by = TurnEnd.SPEAKER if speaking.user_id == user_id else TurnEnd.CHAIR
        return await self._end(speaking, by), await self._view(meeting)

    async def note_word(self, assembly: Assembly, user_id: str, room_id: str) -> None:
        """Someone wrote in one of the assembly's rooms: if the floor is theirs, that is the
        latest their turn is known to have gone on."""
        meeting_id = await self._meetings.open_meeting_id(assembly)
        speaking = await self._speaker(meeting_id) if meeting_id is not None else None
        if speaking is not None and speaking[1] == user_id:
            await self._store.note_word(speaking[0], self._meetings.clock())

    async def _speaker(self, meeting_id: int) -> tuple[int, str] | None:
        if meeting_id not in self._speakers:
            turn = await self._store.current_turn(meeting_id)
            self._speakers[meeting_id] = (turn.id, turn.user_id) if turn else None
        return self._speakers[meeting_id]

    def _floor_changes(self, meeting_id: int) -> None:
        """A turn starts or ends: forget the speaker now, and again once that is committed (a
        message read meanwhile may have remembered the floor as it was)."""
        self._speakers.pop(meeting_id, None)
        self._store.db.on_commit(lambda: self._speakers.pop(meeting_id, None))

    async def _end(self, turn: Turn, by: TurnEnd) -> Ended:
        now = self._meetings.clock()
        self._floor_changes(turn.meeting_id)
        await self._store.end_turn(turn.id, now, by)
        ended = await self._store.turn(turn.id)
        assert ended is not None
        return Ended(ended, time_spoken(ended, now))

    async def remove(self, assembly: Assembly, user_id: str) -> tuple[list[Hand], StackView]:
        """A chair takes someone off the stack."""
        meeting = await self._meetings.require(assembly)
        stack = await self._stack(meeting)
        removed = stack.remove(user_id)
        if not removed:
            name = self._people.person(assembly, user_id, bold=False)
            raise CommandError("stack.person_not_waiting", name=name)
        await self._store.remove_hands(meeting.id, removed)
        return removed, await self._view(meeting)

    async def clear(self, assembly: Assembly) -> tuple[list[Hand], StackView]:
        meeting = await self._meetings.require(assembly)
        stack = await self._stack(meeting)
        cleared = stack.clear()
        await self._store.remove_hands(meeting.id, cleared)
        return cleared, await self._view(meeting)

    async def call_next(self, assembly: Assembly) -> Called:
        """End the current turn and give the floor to the front of the stack, if anyone waits."""
        meeting = await self._meetings.require(assembly)
        now = self._meetings.clock()
        ended = await self._store.current_turn(meeting.id)
        if ended is not None:
            self._floor_changes(meeting.id)
            await self._store.end_turn(ended.id, now, TurnEnd.NEXT_CALL)
            ended = await self._store.turn(ended.id)
        stack = await self._stack(meeting)
        hand = stack.call_next()
        if hand is None:
            if ended is None:
                raise CommandError("stack.nobody_to_call")
            return Called(ended, None, await self._view(meeting))
        started = await self._start_turn(meeting, assembly, hand, now)
        return Called(ended, started, await self._view(meeting))

    async def _start_turn(self, meeting: Meeting, assembly: Assembly, hand: Hand, now: int) -> Turn:
        await self._store.remove_hands(meeting.id, [hand])
        item = await self._store.current_item(meeting.id)
        self._floor_changes(meeting.id)
        turn = await self._store.start_turn(
            meeting.id,
            hand,
            agenda_item_id=item.id if item else None,
            at=now,
            limit_seconds=meeting.turn_limit_seconds,
        )
        # Speaking in the meeting counts as being present; the center is the one they hold on
        # the stack.
        await self._store.mark_present(meeting.id, hand.user_id, hand.center, SPOKE, now)
        self._timers.watch_turn(turn)
        return turn

    async def _stack(self, meeting: Meeting) -> SpeakerStack:
        return SpeakerStack.from_state(
            await self._store.hands(meeting.id),
            speaking_record(await self._store.turns(meeting.id)),
            meeting.stack_policy,
            meeting.next_hand_seq,
        )

    async def _view(self, meeting: Meeting) -> StackView:
        fresh = await self._store.meeting(meeting.id) or meeting
        stack = await self._stack(fresh)
        speaker = await self._store.current_turn(meeting.id)
        return StackView(fresh, fresh.stack_policy, speaker, tuple(stack.waiting()))


Deliver = Callable[..., Awaitable[list[tuple[str, int]]]]
SentEventId = Callable[[int], Awaitable[str | None]]


class StackBoard:
    """Queues the messages that show the stack, and remembers the latest one in each room.

    A ✋ on the latest stack message raises a hand; its event id is only known once sent, so the
    outbox row is remembered and its event id looked up when a reaction arrives.
    """

    def __init__(self, store: MeetingsStore, deliver: Deliver, sent_event_id: SentEventId) -> None:
        self._store = store
        self._deliver = deliver
        self._sent_event_id = sent_event_id

    async def show(
        self,
        meeting: Meeting,
        outcome: Outcome,
        *,
        cause: str,
        assembly: Assembly,
        room: AssemblyRoom | None = None,
        reply_to: str | None = None,
    ) -> None:
        queued = await self._deliver(
            [outcome], cause=cause, assembly=assembly, room=room, reply_to=reply_to
        )
        for room_id, outbox_id in queued:
            await self._store.remember_stack_message(meeting.id, room_id, outbox_id)

    async def tell(self, outcome: Outcome, *, cause: str, assembly: Assembly) -> None:
        """A message about the stack that does not show it (a hand raised in one line): the
        latest stack message stays the one a ✋ goes on."""
        await self._deliver([outcome], cause=cause, assembly=assembly)

    async def is_latest(self, meeting: Meeting, room_id: str, event_id: str | None) -> bool:
        outbox_id = await self._store.stack_message(meeting.id, room_id)
        if outbox_id is None or event_id is None:
            return False
        return await self._sent_event_id(outbox_id) == event_id
