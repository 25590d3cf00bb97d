"""One formatter for how long things take, in the style each place reads it."""

from __future__ import annotations

import pytest

from bot.domain.durations import format_duration


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(5, "5 s"), (90, "1 min 30 s"), (600, "10 min 00 s"), (3_900, "1 h 05 min"), (0.4, "0 s")],
)
def test_the_minutes_tables_pad_their_columns(seconds: float, expected: str) -> None:
    assert format_duration(seconds, "es", "table") == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(59.9, "0m 59s"), (3_725, "1h 2m"), (2 * 86_400 + 3_660, "2d 1h 1m")],
)
def test_the_uptime_in_status_is_compact(seconds: float, expected: str) -> None:
    assert format_duration(seconds, style="compact") == expected
