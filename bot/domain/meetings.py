"""A meeting and what happens in it, as values: the meeting, who attended, its agenda items and
its turns at speaking. The meetings store builds them from its rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.stack import Hand, SpeakingRecord, StackPolicy, TurnKind


@dataclass(frozen=True)
class Meeting:
    id: int
    assembly: str
    title: str
    title_language: str
    started_by: str
    started_at: int
    ended_at: int | None
    stack_policy: StackPolicy
    turn_limit_seconds: int | None
    next_hand_seq: int
    # The configured chairs announced when the meeting opened (its minutes list them again).
    standing_chairs: tuple[str, ...] = ()

    def chairs(self, named: Iterable[str]) -> list[str]:
        """Who chairs it, as announced at its opening and listed in its minutes: the chairs
        named for it (its opener first), then the configured chairs it was opened with."""
        return list(dict.fromkeys([*named, *self.standing_chairs]))


@dataclass(frozen=True)
class Attendee:
    user_id: str
    center: str
    how: str
    first_seen_at: int


PENDING, CURRENT, DONE = "pending", "current", "done"


@dataclass(frozen=True)
class AgendaItem:
    id: int
    meeting_id: int
    position: int
    title: str
    language: str
    timebox_seconds: int | None
    owner: str | None
    added_by: str
    status: str
    started_at: int | None
    ended_at: int | None
    timebox_notified: bool
    # An item the bot put on the agenda (the review of commitments) is titled by this catalog
    # key, worded in each reader's language; `title` then holds the key too.
    title_key: str | None = None


class TurnEnd(StrEnum):
    """What closed a turn. Only the speaker knows when they stopped: every other close happens
    at some moment after that (`bot.domain.speaking_time` counts each turn from it)."""

    # The speaker said they were done (`!done`, or lowering their hand while speaking).
    SPEAKER = "speaker"
    # A chair closed the turn (`!done`).
    CHAIR = "chair"
    # The next `!call`.
    NEXT_CALL = "call"
    # The meeting ended.
    MEETING_END = "meeting_end"


@dataclass(frozen=True)
class Turn:
    """One person's time on the floor, kept for the minutes and the equity statistics: when it
    began and was closed, what closed it (None for a turn still going, or one closed before this
    was kept), and when the speaker last wrote in the meeting's rooms during it."""

    id: int
    meeting_id: int
    agenda_item_id: int | None
    user_id: str
    center: str
    kind: TurnKind
    started_at: int
    ended_at: int | None
    limit_seconds: int | None
    limit_notified: bool
    ended_by: TurnEnd | None = None
    last_word_at: int | None = None


def speaking_record(turns: Iterable[Turn]) -> SpeakingRecord:
    """The domain's speaking record, replayed from the stored turns in the order they began."""
    record = SpeakingRecord()
    for turn in sorted(turns, key=lambda t: t.id):
        record = record.after(Hand(turn.user_id, turn.center, turn.kind, raised_seq=0))
    return record
