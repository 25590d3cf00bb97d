"""How long something lasts: read as people type it (`10m`, `1h30m`, `90s`, or a bare number of
minutes), and written in the forms the assembly reads it.

One breakdown (`parts`) and one formatter (`format_duration`) with a style per place:

- `words`: "1 hour", "90 minutes", "24 horas", in the reader's language: reminders and their
  offsets. The largest unit that states it exactly (to the minute), so a "1h30m" reminder never
  reads "2 hours".
- `table`: "1 h 05 min", "2 min 05 s", "5 s": columns in the minutes, aligned by the padding.
- `compact`: "1d 2h 3m", "2h 3m", "3m 4s": the bot's uptime in `!status`.

Timeboxes and turn limits are catalog messages worded per room (`duration_message`: "10 min",
"2 min 30 s"), built from the same `parts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from babel.units import format_unit

from bot.domain.errors import UsageError
from bot.i18n import Msg

DurationStyle = Literal["spelled", "table", "compact"]
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
    days: int
    hours: int  # below 24 when days are counted, any number otherwise
    minutes: int
    seconds: int


def parts(total_seconds: int, *, count_days: bool = False) -> DurationParts:
    minutes, seconds = divmod(total_seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24) if count_days else (0, hours)
    return DurationParts(days, hours, minutes, seconds)


def format_duration(seconds: float, locale: str = "en", style: DurationStyle = "spelled") -> str:
    if style == "table":
        return _table(round(seconds))
    if style == "compact":
        return _compact(int(seconds))
    return _spelled(max(1, round(seconds)), locale)


def _spelled(whole: int, locale: str) -> str:
    if whole < 120:
        return format_unit(whole, "duration-second", length="long", locale=locale)
    minutes = round(whole / 60)
    if minutes < 60 or minutes % 60:
        return format_unit(minutes, "duration-minute", length="long", locale=locale)
    hours = minutes // 60
    if hours < 72 or hours % 24:
        return format_unit(hours, "duration-hour", length="long", locale=locale)
    return format_unit(hours // 24, "duration-day", length="long", locale=locale)


def _table(total: int) -> str:
    span = parts(total)
    if span.hours:
        return f"{span.hours} h {span.minutes:02d} min"
    if span.minutes:
        return f"{span.minutes} min {span.seconds:02d} s"
    return f"{span.seconds} s"


def _compact(total: int) -> str:
    span = parts(total, count_days=True)
    if span.days:
        return f"{span.days}d {span.hours}h {span.minutes}m"
    if span.hours:
        return f"{span.hours}h {span.minutes}m"
    return f"{span.minutes}m {span.seconds}s"


def duration_message(seconds: float) -> Msg:
    """A timebox or turn limit as a catalog message: `45 s`, `10 min`, `2 min 30 s`,
    `1 h 5 min`."""
    span = parts(max(0, round(seconds)))
    if span.hours:
        return Msg.of("meeting.duration_hours", hours=span.hours, minutes=span.minutes)
    if span.minutes and span.seconds:
        return Msg.of(
            "meeting.duration_minutes_seconds", minutes=span.minutes, seconds=span.seconds
        )
    if span.minutes:
        return Msg.of("meeting.duration_minutes", minutes=span.minutes)
    return Msg.of("meeting.duration_seconds", seconds=span.seconds)
