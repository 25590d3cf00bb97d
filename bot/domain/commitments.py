"""Commitments: action items that outlive their meeting, numbered across the assembly.

Pure domain logic: no I/O, no Matrix, no SQL. Every `!action` becomes a commitment with an
assembly-wide number ("C12"), which stays the same from one meeting to the next, unlike the
action item's number within its meeting (#2). A commitment is open until its owner or a chair
marks it done, or a chair drops it with a reason. Whether it is overdue depends on the day in
its owner's own time zone: a commitment due on the 10th is overdue on the 11th in Mexico City
an hour later than in New York.

The review at the start of a meeting, the follow-up section of the minutes and the report all
read commitments through the functions here, so all three agree on what is open and overdue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

# The overdue reminder comes at the same hour as the due-date reminder, in the owner's zone.
REMINDER_TIME = time(9, 0)
REMINDER_EVERY = timedelta(weeks=1)
# "C12": the prefix people type and read, the same in English (commitment) and Spanish
# (compromiso), and distinct from an action item's number within its meeting ("#2").
PREFIX = "C"


class Status(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"
    # Its action item was undone in the meeting that made it: it never was a commitment.
    WITHDRAWN = "withdrawn"


class EventKind(StrEnum):
    MADE = "made"
    DONE = "done"
    DROPPED = "dropped"
    WITHDRAWN = "withdrawn"
    REMINDED = "reminded"


@dataclass(frozen=True)
class Commitment:
    id: int
    assembly: str
    number: int
    decision_id: int
    meeting_id: int | None
    text: str
    language: str
    owner: str
    owner_name: str
    owner_center: str
    due: date | None
    status: Status
    made_at: int  # epoch milliseconds
    room_id: str | None = None
    closed_at: int | None = None
    closed_by: str | None = None
    note: str | None = None  # what the owner said when done, or why it was dropped
    note_language: str | None = None

    @property
    def label(self) -> str:
        return label_of(self.number)

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN

    def open_at(self, ms: int) -> bool:
        """Made by then, and not yet done or dropped then."""
        if self.status is Status.WITHDRAWN or self.made_at > ms:
            return False
        return self.closed_at is None or self.closed_at > ms

    def overdue_on(self, today: date) -> bool:
        """Open, and its due date has passed on the owner's `today`."""
        return self.is_open and self.due is not None and self.due < today

    def overdue_at(self, ms: int, zone: str) -> bool:
        """Open at that moment, and due before that moment's day in `zone`."""
        return self.open_at(ms) and self.due is not None and self.due < day_in(ms, zone)

    def closed_between(self, since: int, until: int) -> bool:
        return self.closed_at is not None and since < self.closed_at <= until


@dataclass(frozen=True)
class HistoryEvent:
    kind: EventKind
    at: int
    by: str | None = None
    note: str | None = None
    meeting_id: int | None = None


def label_of(number: int) -> str:
    return f"{PREFIX}{number}"


def read_label(word: str) -> int | None:
    """`C12`, `c12`, `12` or `#12` → 12; anything else → None."""
    text = word.strip().lower().removeprefix("#").removeprefix(PREFIX.lower())
    if text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    return None


def day_in(ms: int, zone: str) -> date:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(ZoneInfo(zone)).date()


def today_in(now: datetime, zone: str) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


def days_late(commitment: Commitment, today: date) -> int:
    return (today - commitment.due).days if commitment.due else 0


# -- the review at the start of a meeting ------------------------------------------------------


@dataclass(frozen=True)
class CenterReview:
    center: str
    overdue: tuple[Commitment, ...]
    open: tuple[Commitment, ...]

    @property
    def commitments(self) -> tuple[Commitment, ...]:
        return self.overdue + self.open


def review(
    commitments: Iterable[Commitment],
    centers: Sequence[str],
    today_of: Callable[[Commitment], date],
) -> tuple[CenterReview, ...]:
    """Open commitments grouped by their owner's center (the assembly's centers in order, then
    any other), overdue first, each group by due date (undated last) and number. `today_of`
    gives the day it is in each owner's zone."""
    groups: dict[str, list[Commitment]] = {center: [] for center in centers}
    for commitment in commitments:
        if commitment.is_open:
            groups.setdefault(commitment.owner_center, []).append(commitment)
    reviewed = []
    for center, members in groups.items():
        if not members:
            continue
        ordered = sorted(members, key=_by_due)
        late = tuple(c for c in ordered if c.overdue_on(today_of(c)))
        reviewed.append(CenterReview(center, late, tuple(c for c in ordered if c not in late)))
    return tuple(reviewed)


def _by_due(commitment: Commitment) -> tuple[bool, date, int]:
    return (commitment.due is None, commitment.due or date.max, commitment.number)


# -- reminders of an overdue commitment --------------------------------------------------------


def overdue_reminder_day(due: date, today: date) -> date | None:
    """The day of the overdue reminder that is current on `today`: a week after the due date,
    then every week on the same weekday; None while the first one has not come."""
    weeks = (today - due).days // 7
    return due + weeks * REMINDER_EVERY if weeks >= 1 else None


def next_overdue_reminder(due: date, zone: str, now: datetime) -> datetime:
    """When the next overdue reminder is due (UTC): 09:00 in the owner's zone on a reminder
    day, the first one after `now`."""
    day = overdue_reminder_day(due, today_in(now, zone)) or due
    while (moment := reminder_at(day, zone)) <= now:
        day += REMINDER_EVERY
    return moment


def reminder_at(day: date, zone: str) -> datetime:
    return datetime.combine(day, REMINDER_TIME, ZoneInfo(zone)).astimezone(UTC)


def reminder_still_useful(day: date, zone: str, now: datetime) -> bool:
    """A reminder of `day` is sent from its 09:00 until that day is over in the owner's zone
    (a bot that was down longer skips it: next week's comes anyway)."""
    return reminder_at(day, zone) <= now and today_in(now, zone) == day


# -- the minutes' follow-up section -------------------------------------------------------------


@dataclass(frozen=True)
class CenterFollowUp:
    center: str
    done: tuple[Commitment, ...]
    dropped: tuple[Commitment, ...]
    open: tuple[Commitment, ...]
    overdue: tuple[Commitment, ...]


@dataclass(frozen=True)
class FollowUp:
    """What became of the assembly's commitments between the previous meeting and this one:
    done and dropped since, and still open or overdue when this meeting ended."""

    since: int | None
    until: int
    centers: tuple[CenterFollowUp, ...]

    @property
    def is_empty(self) -> bool:
        return not any(c.done or c.dropped or c.open or c.overdue for c in self.centers)


def follow_up(
    commitments: Iterable[Commitment],
    since: int | None,
    until: int,
    centers: Sequence[str],
    zone_of: Callable[[str], str],
) -> FollowUp:
    """Per center (every center of the assembly, also one with nothing: a zero is the point).
    `zone_of` gives a center's time zone, where its owners' days begin and end."""
    everything = [c for c in commitments if c.status is not Status.WITHDRAWN]
    names = list(dict.fromkeys([*centers, *(c.owner_center for c in everything)]))
    start = since if since is not None else -1
    rows = []
    for center in names:
        mine = sorted((c for c in everything if c.owner_center == center), key=_by_due)
        zone = zone_of(center)
        late = tuple(c for c in mine if c.overdue_at(until, zone))
        rows.append(
            CenterFollowUp(
                center=center,
                done=_closed(mine, Status.DONE, start, until),
                dropped=_closed(mine, Status.DROPPED, start, until),
                open=tuple(c for c in mine if c.open_at(until) and c not in late),
                overdue=late,
            )
        )
    return FollowUp(since, until, tuple(rows))


def _closed(
    commitments: Sequence[Commitment], status: Status, since: int, until: int
) -> tuple[Commitment, ...]:
    return tuple(c for c in commitments if c.status is status and c.closed_between(since, until))
