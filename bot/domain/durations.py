"""How long something lasts, as people type it: `10m`, `1h30m`, `90s`, or a bare number of
minutes. A poll's deadline and an agenda item's timebox are read the same way."""

from __future__ import annotations

import re

from bot.domain.errors import UsageError

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
