"""Follow-through over time: commitments made, done and overdue per center per month, and the
decisions taken per month, as plain values the report words and draws.

Pure domain logic: no I/O. A month is the calendar month in a zone (each center's own zone for
its commitments, the assembly's first zone for its decisions). A commitment counts as overdue in
the month it fell due when it was not done by the end of that day in its owner's zone: done
late, dropped after its day, or still open past it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.commitments import Commitment, Status, day_in


@dataclass(frozen=True)
class MonthCount:
    month: date  # the month's first day
    made: int
    done: int
    overdue: int


@dataclass(frozen=True)
class CenterMonths:
    center: str
    months: tuple[MonthCount, ...]

    @property
    def totals(self) -> tuple[int, int, int]:
        return (
            sum(m.made for m in self.months),
            sum(m.done for m in self.months),
            sum(m.overdue for m in self.months),
        )


@dataclass(frozen=True)
class ReportData:
    """Everything the report says, in no language yet."""

    assembly: str
    since: date
    until: date  # the last day counted
    months: tuple[date, ...]
    centers: tuple[CenterMonths, ...]
    decisions: tuple[tuple[date, int], ...]  # (month, agreements and poll results taken)


def month_of(day: date) -> date:
    return day.replace(day=1)


def months_between(since: date, until: date) -> tuple[date, ...]:
    """Every month from `since`'s to `until`'s, both included."""
    months = []
    month = month_of(since)
    while month <= until:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return tuple(months)


def was_overdue(commitment: Commitment, zone: str, today: date) -> bool:
    """Not done by the end of its due day in its owner's zone, that day being over `today`."""
    if commitment.due is None or commitment.status is Status.WITHDRAWN or commitment.due >= today:
        return False
    end_of_day = datetime.combine(commitment.due + timedelta(days=1), time(0), ZoneInfo(zone))
    deadline = int(end_of_day.astimezone(UTC).timestamp() * 1000)
    return commitment.closed_at is None or commitment.closed_at >= deadline


def commitments_per_month(
    commitments: Iterable[Commitment],
    months: Sequence[date],
    centers: Sequence[str],
    zone_of: Callable[[str], str],
    today: date,
) -> tuple[CenterMonths, ...]:
    """Made, done and overdue per center and month; every center of the assembly appears."""
    kept = [c for c in commitments if c.status is not Status.WITHDRAWN]
    names = list(dict.fromkeys([*centers, *(c.owner_center for c in kept)]))
    rows = []
    for center in names:
        zone = zone_of(center)
        mine = [c for c in kept if c.owner_center == center]
        made = _counts(month_of(day_in(c.made_at, zone)) for c in mine)
        done = _counts(
            month_of(day_in(c.closed_at, zone))
            for c in mine
            if c.status is Status.DONE and c.closed_at is not None
        )
        late = _counts(
            month_of(c.due) for c in mine if c.due and was_overdue(c, zone, today)
        )
        rows.append(
            CenterMonths(
                center,
                tuple(
                    MonthCount(m, made.get(m, 0), done.get(m, 0), late.get(m, 0)) for m in months
                ),
            )
        )
    return tuple(rows)


def decisions_per_month(
    taken_at: Iterable[int], months: Sequence[date], zone: str
) -> tuple[tuple[date, int], ...]:
    counted = _counts(month_of(day_in(ms, zone)) for ms in taken_at)
    return tuple((month, counted.get(month, 0)) for month in months)


def _counts(months: Iterable[date]) -> dict[date, int]:
    counted: dict[date, int] = {}
    for month in months:
        counted[month] = counted.get(month, 0) + 1
    return counted
