"""The speaker stack: who speaks next, and in what order the rest are waiting.

Pure domain logic: no I/O, no Matrix, no SQL. The storage-backed service keeps hands and the
speaking record in the database and rebuilds a :class:`SpeakerStack` from them with
:meth:`SpeakerStack.from_state`.

Order of the stack, front first:

1. points of process (they may interrupt), first raised first;
2. hands the chair moved to the front (``move_to_front``), most recently moved first;
3. direct responses, first raised first;
4. ordinary turns, per :class:`StackPolicy`.

The displayed order is a simulation: what would happen if each person were called in turn and
nobody new raised a hand. So under ``progressive`` and ``alternate`` a person's earlier turns in the
simulated order count when placing the people behind them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType


class TurnKind(StrEnum):
    """Why someone wants the floor."""

    POINT_OF_PROCESS = "point_of_process"
    DIRECT_RESPONSE = "direct_response"
    ORDINARY = "ordinary"


class StackPolicy(StrEnum):
    """How ordinary turns are ordered."""

    FIFO = "fifo"
    PROGRESSIVE = "progressive"
    ALTERNATE = "alternate"


DEFAULT_POLICY = StackPolicy.ALTERNATE

# A point of process is about the meeting, not the motion: it does not use up anyone's turn.
COUNTED_KINDS: frozenset[TurnKind] = frozenset({TurnKind.DIRECT_RESPONSE, TurnKind.ORDINARY})


@dataclass(frozen=True)
class Hand:
    """A raised hand. ``priority`` > 0 means the chair moved it to the front (higher = earlier)."""

    user_id: str
    center: str
    kind: TurnKind
    raised_seq: int
    priority: int = 0


@dataclass(frozen=True)
class SpeakingRecord:
    """Who has spoken so far in this meeting.

    ``turns_by_user`` counts turns of the kinds in :data:`COUNTED_KINDS`. ``last_center`` is the
    center of the last ordinary speaker. ``heard_at_by_center`` holds, per center, an increasing
    number stamped on its latest ordinary turn; it is only needed to rank three or more centers
    (with two, ``last_center`` says everything). ``last_center`` always counts as most recent.
    """

    turns_by_user: Mapping[str, int] = field(default_factory=dict)
    last_center: str | None = None
    heard_at_by_center: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "turns_by_user", MappingProxyType(dict(self.turns_by_user)))
        object.__setattr__(
            self, "heard_at_by_center", MappingProxyType(dict(self.heard_at_by_center))
        )

    def turns_of(self, user_id: str) -> int:
        return self.turns_by_user.get(user_id, 0)

    def after(self, hand: Hand) -> SpeakingRecord:
        """The record once ``hand`` has had the floor."""
        turns = dict(self.turns_by_user)
        if hand.kind in COUNTED_KINDS:
            turns[hand.user_id] = turns.get(hand.user_id, 0) + 1
        if hand.kind is not TurnKind.ORDINARY:
            return replace(self, turns_by_user=turns)
        heard = dict(self.heard_at_by_center)
        heard[hand.center] = max(heard.values(), default=0) + 1
        return SpeakingRecord(turns, hand.center, heard)

    def recency_key(self, center: str) -> tuple[bool, int]:
        """Sort key: lower means this center was heard less recently."""
        return (center == self.last_center, self.heard_at_by_center.get(center, -1))


_SortKey = tuple[int | str, ...]


def order_stack(hands: Sequence[Hand], policy: StackPolicy, record: SpeakingRecord) -> list[Hand]:
    """The full waiting order, front first."""
    pool = list(hands)
    ordered: list[Hand] = []
    while pool:
        hand = _pick(pool, policy, record)
        pool.remove(hand)
        ordered.append(hand)
        record = record.after(hand)
    return ordered


def next_speaker(hands: Sequence[Hand], policy: StackPolicy, record: SpeakingRecord) -> Hand | None:
    """The front of the stack, or None when nobody is waiting."""
    return _pick(hands, policy, record) if hands else None


def _tier(hand: Hand) -> int:
    if hand.kind is TurnKind.POINT_OF_PROCESS:
        return 0
    if hand.priority > 0:
        return 1
    if hand.kind is TurnKind.DIRECT_RESPONSE:
        return 2
    return 3


def _raised_order(hand: Hand) -> _SortKey:
    return (-hand.priority, hand.raised_seq, hand.user_id, hand.kind)


def _progressive_order(record: SpeakingRecord) -> Callable[[Hand], _SortKey]:
    return lambda hand: (record.turns_of(hand.user_id), *_raised_order(hand))


def _pick(hands: Sequence[Hand], policy: StackPolicy, record: SpeakingRecord) -> Hand:
    front_tier = min(_tier(hand) for hand in hands)
    candidates = [hand for hand in hands if _tier(hand) == front_tier]
    if front_tier < 3 or policy is StackPolicy.FIFO:
        return min(candidates, key=_raised_order)
    if policy is StackPolicy.PROGRESSIVE:
        return min(candidates, key=_progressive_order(record))
    return _pick_alternating(candidates, record)


def _pick_alternating(hands: Sequence[Hand], record: SpeakingRecord) -> Hand:
    """Progressive within each center; across centers, the one heard least recently goes next.

    ``last_center`` ranks as most recent, so it never goes twice in a row while another waits.
    """
    by_progress = _progressive_order(record)
    heads: dict[str, Hand] = {}
    for hand in sorted(hands, key=by_progress):
        heads.setdefault(hand.center, hand)
    center = min(heads, key=lambda c: (record.recency_key(c), by_progress(heads[c])))
    return heads[center]


class SpeakerStack:
    """A mutable speaker stack for one meeting.

    A person holds at most one hand of each kind: one ordinary turn, plus optionally a direct
    response and a point of process. Raising the same kind again is a no-op.
    """

    def __init__(self, policy: StackPolicy = DEFAULT_POLICY) -> None:
        self.policy = policy
        self._hands: dict[tuple[str, TurnKind], Hand] = {}
        self._record = SpeakingRecord()
        self._next_seq = 1

    @classmethod
    def from_state(
        cls,
        hands: Iterable[Hand],
        record: SpeakingRecord,
        policy: StackPolicy,
        next_seq: int,
    ) -> SpeakerStack:
        """Rebuild a stack from stored rows. Raises ValueError on two hands of one kind."""
        stack = cls(policy)
        for hand in hands:
            key = (hand.user_id, hand.kind)
            if key in stack._hands:
                raise ValueError(f"{hand.user_id} holds two {hand.kind} hands")
            stack._hands[key] = hand
        stack._record = record
        highest = max((hand.raised_seq for hand in stack._hands.values()), default=0)
        stack._next_seq = max(next_seq, highest + 1)
        return stack

    @property
    def record(self) -> SpeakingRecord:
        return self._record

    @property
    def next_seq(self) -> int:
        """The raised_seq the next new hand will get."""
        return self._next_seq

    def __len__(self) -> int:
        return len(self._hands)

    def is_waiting(self, user_id: str, kind: TurnKind | None = None) -> bool:
        return any(self._of(user_id, kind))

    def waiting(self) -> list[Hand]:
        """Everyone waiting, front first."""
        return order_stack(list(self._hands.values()), self.policy, self._record)

    def next_speaker(self) -> Hand | None:
        """Who would be called next, without calling them."""
        return next_speaker(list(self._hands.values()), self.policy, self._record)

    def raise_hand(self, user_id: str, center: str, kind: TurnKind = TurnKind.ORDINARY) -> Hand:
        """Add a hand; if this person already waits with this kind, return that hand."""
        existing = self._hands.get((user_id, kind))
        if existing is not None:
            return existing
        hand = Hand(user_id, center, kind, self._next_seq)
        self._next_seq += 1
        self._hands[(user_id, kind)] = hand
        return hand

    def lower_hand(self, user_id: str, kind: TurnKind | None = None) -> list[Hand]:
        """Lower one kind of hand, or all of this person's hands; returns what was lowered."""
        lowered = self._of(user_id, kind)
        for hand in lowered:
            del self._hands[(hand.user_id, hand.kind)]
        return lowered

    def remove(self, user_id: str) -> list[Hand]:
        """Take this person off the stack entirely (chair action, or they left)."""
        return self.lower_hand(user_id)

    def clear(self) -> list[Hand]:
        """Empty the stack; turn counts are kept. Returns who was waiting, in order."""
        cleared = self.waiting()
        self._hands.clear()
        return cleared

    def call_next(self) -> Hand | None:
        """Give the floor to the front of the stack and record the turn."""
        hand = self.next_speaker()
        if hand is not None:
            del self._hands[(hand.user_id, hand.kind)]
            self._record = self._record.after(hand)
        return hand

    def move_to_front(self, user_id: str, kind: TurnKind | None = None) -> Hand | None:
        """Chair override: put this person's hand (their first one, unless ``kind`` is given)
        ahead of everything except points of process. Returns the moved hand, or None."""
        mine = [hand for hand in self.waiting() if hand.user_id == user_id]
        mine = [hand for hand in mine if kind is None or hand.kind is kind]
        if not mine:
            return None
        top = max((hand.priority for hand in self._hands.values()), default=0)
        moved = replace(mine[0], priority=top + 1)
        self._hands[(moved.user_id, moved.kind)] = moved
        return moved

    def demote(self, user_id: str, kind: TurnKind = TurnKind.DIRECT_RESPONSE) -> Hand | None:
        """Chair: "that is not a direct response". The hand becomes ordinary, keeping its time
        of raising; if the person already waits for an ordinary turn, the jumped hand is dropped.
        Returns the person's ordinary hand, or None if they held no hand of ``kind``."""
        if kind is TurnKind.ORDINARY:
            return self._hands.get((user_id, kind))
        jumped = self._hands.pop((user_id, kind), None)
        if jumped is None:
            return None
        ordinary = self._hands.get((user_id, TurnKind.ORDINARY))
        if ordinary is None:
            ordinary = replace(jumped, kind=TurnKind.ORDINARY, priority=0)
            self._hands[(user_id, TurnKind.ORDINARY)] = ordinary
        return ordinary

    def _of(self, user_id: str, kind: TurnKind | None) -> list[Hand]:
        return [
            hand
            for (uid, k), hand in self._hands.items()
            if uid == user_id and (kind is None or k is kind)
        ]
