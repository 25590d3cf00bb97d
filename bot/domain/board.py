"""The meeting board: what the hall's projector and every phone show of an assembly, as values.

A `BoardSnapshot` is the state of the assembly at one moment, built by the board service from
the stores and worded per language by `bot.render.board`. It holds no clock: timers are
sent as the moments they began, and each screen counts on its own, so an unchanged meeting
gives the same snapshot however long it lasts (and nothing is pushed).

It holds nothing a member in the rooms cannot see: the stack, the agenda, how many have voted
per center (under a secret poll's floor), results as the rooms were told them, and the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.domain.meetings import Turn
from bot.domain.messages import UserText
from bot.domain.polls import Progress, ResultView
from bot.domain.stack import TurnKind

# The most people a board lists as waiting: the next five and one more; the rest are counted.
MAX_WAITING_SHOWN = 6
# The newest agreements and action items of the meeting a board shows.
MAX_ENTRIES_SHOWN = 6


@dataclass(frozen=True)
class Seat:
    """A person as the rooms name them, beside their center."""

    name: str
    center: str


@dataclass(frozen=True)
class CurrentItem:
    """The agenda item under discussion: its place in the agenda and its timebox."""

    position: int
    of: int
    title: UserText
    started_at: int | None
    timebox_seconds: int | None
    owner: Seat | None = None


@dataclass(frozen=True)
class Floor:
    """Who has the floor, for what kind of turn, since when, for how long."""

    speaker: Seat
    kind: TurnKind
    started_at: int
    limit_seconds: int | None


@dataclass(frozen=True)
class Waiting:
    person: Seat
    kind: TurnKind


@dataclass(frozen=True)
class Entry:
    """An agreement or action item of the meeting, numbered as chat numbered it."""

    kind: str
    number: int | None
    text: UserText
    owner: Seat | None = None
    due: date | None = None


@dataclass(frozen=True)
class BoardSnapshot:
    assembly: str
    centers: tuple[str, ...]
    meeting_id: int | None = None
    title: UserText | None = None
    item: CurrentItem | None = None
    # The first agenda item still to come, when none is under discussion.
    upcoming: UserText | None = None
    floor: Floor | None = None
    waiting: tuple[Waiting, ...] = ()
    # Seconds each center has spoken in turns already over, in the assembly's order; the turn
    # under way is counted by each screen from `floor`.
    spoken: tuple[tuple[str, float], ...] = ()
    polls: tuple[Progress, ...] = ()
    result: ResultView | None = None
    entries: tuple[Entry, ...] = ()
    # Translations of the words people wrote that the snapshot quotes, as the rooms were shown
    # them: (source language, target language, text) → translation.
    translations: Mapping[tuple[str, str, str], str] = field(default_factory=dict)

    @property
    def in_meeting(self) -> bool:
        return self.meeting_id is not None

    def quoted(self) -> list[UserText]:
        """Every text a person wrote that the board shows (to be looked up translated)."""
        texts = [t for t in (self.title,) if t is not None]
        texts += [i.title for i in (self.item,) if i is not None]
        texts += [t for t in (self.upcoming,) if t is not None]
        texts += [UserText(p.poll.question, p.poll.language) for p in self.polls]
        texts += _options(self.polls, self.result)
        if self.result is not None:
            texts.append(UserText(self.result.poll.question, self.result.poll.language))
        texts += [entry.text for entry in self.entries]
        return list(dict.fromkeys(texts))


def _options(polls: Iterable[Progress], result: ResultView | None) -> list[UserText]:
    shown = [p.poll for p in polls] + ([result.poll] if result else [])
    return [
        UserText(option, poll.language)
        for poll in shown
        for option in (poll.option_text(a) for a in poll.answer_ids)
        if option
    ]


def spoken_by_center(
    turns: Iterable[Turn], centers: Iterable[str]
) -> tuple[tuple[str, float], ...]:
    """Seconds each center has held the floor in turns that are over (points of process too:
    they are time on the floor)."""
    totals = dict.fromkeys(centers, 0.0)
    for turn in turns:
        if turn.ended_at is not None:
            seconds = max(0, turn.ended_at - turn.started_at) / 1000
            totals[turn.center] = totals.get(turn.center, 0.0) + seconds
    return tuple(totals.items())
