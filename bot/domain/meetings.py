"""A meeting and what happens in it, as values: the meeting, who attended, its agenda items and
its turns at speaking. The meetings store builds them from its rows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

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

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Meeting:
        return cls(
            id=row["id"],
            assembly=row["assembly"],
            title=row["title"],
            title_language=row["title_language"],
            started_by=row["started_by"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            stack_policy=StackPolicy(row["stack_policy"]),
            turn_limit_seconds=row["turn_limit_seconds"],
            next_hand_seq=row["next_hand_seq"],
            standing_chairs=tuple(json.loads(row["standing_chairs"] or "[]")),
        )

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

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Attendee:
        return cls(row["user_id"], row["center"], row["how"], row["first_seen_at"])


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

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AgendaItem:
        return cls(
            id=row["id"],
            meeting_id=row["meeting_id"],
            position=row["position"],
            title=row["title"],
            language=row["language"],
            timebox_seconds=row["timebox_seconds"],
            owner=row["owner"],
            added_by=row["added_by"],
            status=row["status"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            timebox_notified=bool(row["timebox_notified"]),
        )


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

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Turn:
        return cls(
            id=row["id"],
            meeting_id=row["meeting_id"],
            agenda_item_id=row["agenda_item_id"],
            user_id=row["user_id"],
            center=row["center"],
            kind=TurnKind(row["kind"]),
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            limit_seconds=row["limit_seconds"],
            limit_notified=bool(row["limit_notified"]),
            ended_by=TurnEnd(row["ended_by"]) if row["ended_by"] else None,
            last_word_at=row["last_word_at"],
        )


def speaking_record(turns: Iterable[Turn]) -> SpeakingRecord:
    """The domain's speaking record, replayed from the stored turns in the order they began."""
    record = SpeakingRecord()
    for turn in sorted(turns, key=lambda t: t.id):
        record = record.after(Hand(turn.user_id, turn.center, turn.kind, raised_seq=0))
    return record
