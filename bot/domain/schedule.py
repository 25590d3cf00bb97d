"""Scheduled meetings and their reminders, in wall-clock time and in UTC.

Pure domain logic: no I/O, no Matrix, no SQL. Instants are stored and compared in UTC; a meeting
rule keeps the *local* wall-clock time of the zone it was scheduled in, so a weekly 18:00 New York
meeting stays at 18:00 New York when the US changes its clocks, while its time in Mexico City
(which has had no daylight saving time since 2022) moves by an hour.

Reminders fire at fixed offsets before each occurrence. When the bot was down at a reminder's
time, `plan_reminders` decides on return: the latest reminder that fell due is sent if it is still
useful (the meeting has not started and it is late by no more than its grace), every other missed
one is skipped, and nothing handled before is considered again.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, get_timezone_location

DEFAULT_REMINDER_OFFSETS: tuple[int, ...] = (24 * 3600, 3600, 600)
MAX_OFFSET_SECONDS = 30 * 24 * 3600
# A reminder a few moments early is on time (the scheduler's clock and ours may differ slightly).
EARLY_TOLERANCE = timedelta(seconds=1)
# The least a late reminder may still be sent after its time, however short its offset.
MIN_GRACE = timedelta(seconds=30)
# The most: a "24 hours before" reminder that is half a day late says little any more.
MAX_GRACE = timedelta(hours=6)
# Action items are due on a date; their owner is reminded that morning, in their own zone.
ACTION_REMINDER_TIME = time(9, 0)


class Recurrence(StrEnum):
    ONCE = "once"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


RECURRENCE_WORDS: Mapping[str, Recurrence] = {
    "weekly": Recurrence.WEEKLY,
    "semanal": Recurrence.WEEKLY,
    "biweekly": Recurrence.BIWEEKLY,
    "fortnightly": Recurrence.BIWEEKLY,
    "quincenal": Recurrence.BIWEEKLY,
    "monthly": Recurrence.MONTHLY,
    "mensual": Recurrence.MONTHLY,
}

_WEEKS = {Recurrence.WEEKLY: 1, Recurrence.BIWEEKLY: 2}

# -- reading what people type -------------------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_RELATIVE_DAYS = {"today": 0, "hoy": 0, "tomorrow": 1, "mañana": 1, "manana": 1}
_CLOCK = re.compile(r"^(\d{1,2})(?:[:h.](\d{2}))?(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_OFFSET = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?:in)?)?(?:(\d+)s)?$")


def parse_date(word: str, today: date) -> date | None:
    """`2025-03-10`, or today/tomorrow (hoy/mañana). Slashed dates are refused on purpose:
    03/04 is the 4th of March in the US and the 3rd of April in Mexico."""
    text = word.strip().lower()
    if text in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[text])
    match = _ISO_DATE.match(text)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def parse_time(word: str) -> time | None:
    """`18:00`, `18:00:30`, `18h`, `18h30`, `6pm`, `6:30pm`."""
    text = word.strip().lower()
    if text.endswith("h") and text[:-1].isdigit():
        text += "00"  # "18h" is how many Spanish speakers write 18:00
    match = _CLOCK.match(text)
    if not match:
        return None
    hour, minute, second, meridiem = match.groups()
    hours = int(hour)
    if meridiem:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if meridiem.startswith("p") else 0)
    elif not minute:
        return None  # a bare number is more likely a mistake than an hour
    try:
        return time(hours, int(minute or 0), int(second or 0))
    except ValueError:
        return None


def parse_offset(word: str) -> int | None:
    """A reminder offset in seconds: `24h`, `1h30m`, `10m`, `2d`, `90s`."""
    text = word.strip().lower()
    match = _OFFSET.match(text)
    if not text or not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    return total if 0 < total <= MAX_OFFSET_SECONDS else None


def parse_recurrence(word: str) -> Recurrence | None:
    return RECURRENCE_WORDS.get(word.strip().lower())


def zone_named(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def resolve_zone(word: str, center_zones: Mapping[str, str]) -> ZoneInfo | None:
    """An IANA zone (`America/Mexico_City`), `UTC`, or the name of a center (`MX`, `US`)."""
    text = word.strip()
    for center, zone in center_zones.items():
        if text.lower() == center.lower():
            return zone_named(zone)
    if "/" in text or text.upper() == "UTC":
        return zone_named("UTC" if text.upper() == "UTC" else text)
    return None


# -- wall-clock time and UTC --------------------------------------------------------------------


def to_utc(local: datetime, zone: str) -> datetime:
    """A naive wall-clock time in `zone` as a UTC instant.

    A time that does not exist (skipped when clocks spring forward) lands just after the gap, and
    an ambiguous one (repeated when they fall back) is taken the first time it happens: zoneinfo's
    fold=0 does both.
    """
    return local.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


def local_time(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Occurrence:
    index: int
    start: datetime  # UTC

    @property
    def key(self) -> str:
        """How an occurrence is named in the database: its UTC start, ISO 8601."""
        return self.start.isoformat()


@dataclass(frozen=True)
class MeetingRule:
    """When a scheduled meeting happens: a local start, its zone, and how it repeats."""

    local_start: datetime  # naive: wall-clock time in `zone`
    zone: str
    recurrence: Recurrence = Recurrence.ONCE

    def local_occurrence(self, index: int) -> datetime:
        if self.recurrence == Recurrence.MONTHLY:
            return _add_months(self.local_start, index)
        # Naive arithmetic keeps the wall-clock time: the zone is applied only afterwards.
        return self.local_start + timedelta(weeks=_WEEKS.get(self.recurrence, 0) * index)

    def occurrence(self, index: int) -> Occurrence:
        return Occurrence(index, to_utc(self.local_occurrence(index), self.zone))

    def next_after(self, moment: datetime) -> Occurrence | None:
        """The first occurrence that starts strictly after `moment`."""
        first = self.occurrence(0)
        if first.start > moment:
            return first
        if self.recurrence == Recurrence.ONCE:
            return None
        index = max(0, self._estimate_index(moment) - 1)
        while (found := self.occurrence(index)).start <= moment:
            index += 1
        return found

    def previous_before(self, moment: datetime) -> Occurrence | None:
        """The last occurrence that started at or before `moment`."""
        upcoming = self.next_after(moment)
        if upcoming is None:
            first = self.occurrence(0)
            return first if first.start <= moment else None
        return self.occurrence(upcoming.index - 1) if upcoming.index > 0 else None

    def _estimate_index(self, moment: datetime) -> int:
        elapsed = moment - self.occurrence(0).start
        if self.recurrence == Recurrence.MONTHLY:
            return int(elapsed.days // 31)
        return int(elapsed.days // (7 * _WEEKS[self.recurrence]))


# -- reminders ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    occurrence: Occurrence
    offset_seconds: int

    @property
    def at(self) -> datetime:
        return self.occurrence.start - timedelta(seconds=self.offset_seconds)

    @property
    def grace(self) -> timedelta:
        return grace_for(self.offset_seconds)


def grace_for(offset_seconds: int) -> timedelta:
    """How late a reminder may still go out: half its offset, between MIN_GRACE and MAX_GRACE."""
    return min(max(timedelta(seconds=offset_seconds) / 2, MIN_GRACE), MAX_GRACE)


def reminders_of(occurrence: Occurrence, offsets: Sequence[int]) -> list[Reminder]:
    """The occurrence's reminders, earliest first."""
    return [Reminder(occurrence, offset) for offset in sorted(set(offsets), reverse=True)]


def still_useful(reminder: Reminder, now: datetime) -> bool:
    """A late reminder is worth sending before the meeting starts and within its grace."""
    return now < reminder.occurrence.start and now - reminder.at <= reminder.grace


@dataclass(frozen=True)
class ReminderPlan:
    """What to do now for one scheduled meeting, and when to look again (None: never)."""

    send: tuple[Reminder, ...]
    skip: tuple[Reminder, ...]
    next_wake: datetime | None


def plan_reminders(
    rule: MeetingRule,
    offsets: Sequence[int],
    now: datetime,
    handled: Callable[[Reminder], bool],
) -> ReminderPlan:
    """Reminders due at `now` that were never handled: the latest one is sent if still useful;
    earlier ones it supersedes, and those of a meeting that has begun, are skipped."""
    send: list[Reminder] = []
    skip: list[Reminder] = []
    previous = rule.previous_before(now)
    if previous is not None:
        skip.extend(r for r in reminders_of(previous, offsets) if not handled(r))
    upcoming = rule.next_after(now)
    if upcoming is None:
        return ReminderPlan((), tuple(skip), None)
    reminders = reminders_of(upcoming, offsets)
    due = [r for r in reminders if r.at <= now + EARLY_TOLERANCE and not handled(r)]
    if due:
        latest = due[-1]
        skip.extend(due[:-1])
        (send if still_useful(latest, now) else skip).append(latest)
    later = [r.at for r in reminders if r.at > now + EARLY_TOLERANCE]
    return ReminderPlan(tuple(send), tuple(skip), min(later) if later else upcoming.start)


def action_reminder_at(due: date, zone: str) -> datetime:
    """When the owner of an action item is reminded: the morning of its due date, their time."""
    return to_utc(datetime.combine(due, ACTION_REMINDER_TIME), zone)


def action_reminder_useful(due: date, zone: str, now: datetime) -> bool:
    """Until the due day is over in the owner's zone, a late reminder still helps."""
    end_of_day = to_utc(datetime.combine(due + timedelta(days=1), time(0, 0)), zone)
    return action_reminder_at(due, zone) <= now + EARLY_TOLERANCE and now < end_of_day


# -- showing times to people --------------------------------------------------------------------


def zone_label(zone: str, locale: str) -> str:
    """The zone's city in the reader's language: "Mexico City", "Ciudad de México"."""
    if zone.upper() == "UTC":
        return "UTC"
    return get_timezone_location(ZoneInfo(zone), locale=locale, return_city=True)


def format_day(instant: datetime, zone: str, locale: str) -> str:
    """ "Monday, March 10, 2025" / "lunes, 10 de marzo de 2025", in `zone`."""
    return format_date(local_time(instant, zone).date(), "full", locale=locale)


def format_clock(instant: datetime, zone: str) -> str:
    """24-hour time: unambiguous for readers on both sides of the border."""
    return format_time(local_time(instant, zone), "HH:mm", locale="en")


def format_in_zones(instant: datetime, zones: Sequence[str], locale: str) -> str:
    """ "18:00 Mexico City / 19:00 New York": the first zone leads; another zone's date is added
    where it differs from the first one's."""
    unique = list(dict.fromkeys(zones)) or ["UTC"]
    first_day = local_time(instant, unique[0]).date()
    parts = []
    for zone in unique:
        text = f"{format_clock(instant, zone)} {zone_label(zone, locale)}"
        if local_time(instant, zone).date() != first_day:
            day = format_date(local_time(instant, zone).date(), "medium", locale=locale)
            text += f" ({day})"
        parts.append(text)
    return " / ".join(parts)
