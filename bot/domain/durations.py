"""How long something lasts: read as people type it (`10m`, `1h30m`, `90s`, or a bare number of
minutes), and written one way everywhere, chat and minutes alike: `45 s`, `10 min`,
`6 min 23 s`, `1 h`, `1 h 5 min`, worded per language by the catalogs (`duration_message`).

A length is rounded to the whole second once, here, so the same length reads the same wherever
it is shown (the speaking time in `!endmeeting` and in the minutes, say). Seconds are left out
from an hour up, and a reminder says how long until a meeting to the minute (`to_the_minute`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.errors import UsageError
from bot.domain.messages import Msg

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?:in)?)?(?:(\d+)s)?$")
MAX_DURATION_SECONDS = 24 * 3600


def to_duration_seconds(word: str) -> int:
    """`10m`, `1h30m`, `90s`, or a bare number of minutes."""
    text = word.strip().lower()
    if text.isdigit():
        return int(text) * 60
    match = _DURATION.match(text)
    if not text or not match or not any(match.groups()):
        raise UsageError("error.expected_duration", value=word)
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0 or total > MAX_DURATION_SECONDS:
        raise UsageError("error.expected_duration", value=word)
    return total


@dataclass(frozen=True)
class DurationParts:
    hours: int
    minutes: int
    seconds: int


def parts(total_seconds: int) -> DurationParts:
    minutes, seconds = divmod(total_seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return DurationParts(hours, minutes, seconds)


def whole_seconds(seconds: float) -> int:
    """The one rounding every shown length goes through."""
    return max(0, round(seconds))


def to_the_minute(seconds: float) -> int:
    """A time to wait as a reminder says it: exact under two minutes, else to the minute (a
    reminder a few seconds late still says "10 min")."""
    whole = whole_seconds(seconds)
    return whole if whole < 120 else round(whole / 60) * 60


def duration_message(seconds: float) -> Msg:
    """A length as a catalog message: `45 s`, `10 min`, `2 min 30 s`, `1 h`, `1 h 5 min`."""
    span = parts(whole_seconds(seconds))
    if span.hours and span.minutes:
        return Msg.of("meeting.duration_hours", hours=span.hours, minutes=span.minutes)
    if span.hours:
        return Msg.of("meeting.duration_whole_hours", hours=span.hours)
    if span.minutes and span.seconds:
        return Msg.of(
            "meeting.duration_minutes_seconds", minutes=span.minutes, seconds=span.seconds
        )
    if span.minutes:
        return Msg.of("meeting.duration_minutes", minutes=span.minutes)
    return Msg.of("meeting.duration_seconds", seconds=span.seconds)
