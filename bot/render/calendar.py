"""An iCalendar file (RFC 5545) of an assembly's scheduled meetings and its open commitments'
due dates, for people's own calendar apps. Written with the `icalendar` library.

A scheduled meeting keeps its local time in the zone it was scheduled in, as the bot does: its
start carries that zone's TZID and the file a VTIMEZONE for it, and a recurring meeting is a
recurrence rule in that zone, so a calendar app on either side of the border shows 18:00 New
York as 17:00 or 16:00 in Mexico City, whichever the date calls for. Every room's zone has its
VTIMEZONE, so each center's calendar app can place the events in its own time. A due date is a
day, not a moment: an all-day event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from bot.domain.commitments import Commitment
from bot.domain.messages import Msg
from bot.domain.schedule import MeetingRule, Recurrence

PRODUCT = "-//Asamblea//Asamblea calendar//EN"
# How long a scheduled meeting is shown: the bot knows when meetings start, not when they end.
DEFAULT_LENGTH = timedelta(hours=1)
# VTIMEZONEs describe the zones' rules from a year before the first event on.
ZONE_RULES_BEFORE = timedelta(days=366)

# Words a message in one language (the catalogs, through delivery or a Catalogs object).
Wording = Callable[[str, Msg], str]


@dataclass(frozen=True)
class ScheduledMeeting:
    id: int
    title: str
    rule: MeetingRule


def recurrence_rule(rule: MeetingRule) -> dict[str, object] | None:
    """The RRULE that repeats a meeting as `MeetingRule` does. A monthly meeting on the 29th to
    31st falls on the month's last day when the month is shorter: the latest of those days
    the month has (BYSETPOS=-1)."""
    if rule.recurrence is Recurrence.ONCE:
        return None
    if rule.recurrence is Recurrence.WEEKLY:
        return {"freq": "weekly"}
    if rule.recurrence is Recurrence.BIWEEKLY:
        return {"freq": "weekly", "interval": 2}
    day = rule.local_start.day
    if day <= 28:
        return {"freq": "monthly", "bymonthday": day}
    return {"freq": "monthly", "bymonthday": list(range(28, day + 1)), "bysetpos": -1}


def calendar_file(
    *,
    assembly: str,
    zones: Sequence[str],
    meetings: Sequence[ScheduledMeeting],
    commitments: Sequence[Commitment],
    languages: Sequence[str],
    wording: Wording,
    prefix: str,
    now: datetime,
    meeting_length: timedelta = DEFAULT_LENGTH,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", assembly)
    slug = _slug(assembly)
    for meeting in meetings:
        calendar.add_component(
            _meeting(meeting, assembly, slug, languages, wording, now, meeting_length)
        )
    for commitment in commitments:
        calendar.add_component(
            _due_date(commitment, assembly, slug, languages, wording, prefix, now)
        )
    first = _first_day(meetings, commitments, now) - ZONE_RULES_BEFORE
    for zone in dict.fromkeys(zones):
        if zone.upper() != "UTC":
            calendar.add_component(Timezone.from_tzid(zone, first_date=first))
    calendar.add_missing_timezones(first_date=first)
    return calendar.to_ical()


def _meeting(
    meeting: ScheduledMeeting,
    assembly: str,
    slug: str,
    languages: Sequence[str],
    wording: Wording,
    now: datetime,
    length: timedelta,
) -> Event:
    event = Event()
    event.add("uid", f"schedule-{meeting.id}@{slug}.asamblea")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", meeting.rule.local_start.replace(tzinfo=ZoneInfo(meeting.rule.zone)))
    event.add("duration", length)
    event.add("summary", meeting.title)
    repeat = recurrence_rule(meeting.rule)
    if repeat is not None:
        event.add("rrule", repeat)
    said = Msg.of("calendar.meeting", id=meeting.id, assembly=assembly)
    event.add("description", "\n".join(wording(language, said) for language in languages))
    return event


def _due_date(
    commitment: Commitment,
    assembly: str,
    slug: str,
    languages: Sequence[str],
    wording: Wording,
    prefix: str,
    now: datetime,
) -> Event:
    assert commitment.due is not None
    event = Event()
    event.add("uid", f"commitment-{commitment.number}@{slug}.asamblea")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", commitment.due)
    event.add("dtend", commitment.due + timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a due date does not make anyone busy
    owner = f"{commitment.owner_name} ({commitment.owner_center})"
    event.add("summary", f"{commitment.label} {owner}: {commitment.text}")
    said = Msg.of(
        "calendar.commitment",
        label=commitment.label,
        assembly=assembly,
        text=commitment.text,
        owner=owner,
        prefix=prefix,
        number=commitment.number,
    )
    event.add("description", "\n".join(wording(language, said) for language in languages))
    return event


def _first_day(
    meetings: Sequence[ScheduledMeeting], commitments: Sequence[Commitment], now: datetime
) -> date:
    days = [m.rule.local_start.date() for m in meetings]
    days += [c.due for c in commitments if c.due is not None]
    return min([*days, now.date()])


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "assembly"
