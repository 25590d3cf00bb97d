"""How long things take is written one way, in chat and in the minutes alike, worded by the
catalogs of each language."""

from __future__ import annotations

import pytest

from bot.domain.durations import duration_message, to_the_minute
from tests.harness.offline import CATALOGS


@pytest.mark.parametrize(
    ("seconds", "english", "spanish"),
    [
        (0, "0 s", "0 s"),
        (0.4, "0 s", "0 s"),
        (5, "5 s", "5 s"),
        (90, "1 min 30 s", "1 min 30 s"),
        (383, "6 min 23 s", "6 min 23 s"),
        (600, "10 min", "10 min"),
        (3_600, "1 h", "1 h"),
        (3_900, "1 h 5 min", "1 h 5 min"),
        (86_400, "24 h", "24 h"),
        (2 * 86_400 + 3_660, "49 h 1 min", "49 h 1 min"),
    ],
)
def test_a_length_reads_the_same_everywhere(seconds: float, english: str, spanish: str) -> None:
    assert CATALOGS.text("en", duration_message(seconds)) == english
    assert CATALOGS.text("es", duration_message(seconds)) == spanish


@pytest.mark.parametrize(
    ("seconds", "rounded"), [(12, 12), (119.6, 120), (598, 600), (5 * 60 + 47, 360), (3_590, 3_600)]
)
def test_a_reminder_counts_the_wait_to_the_minute_from_two_minutes_up(
    seconds: float, rounded: int
) -> None:
    assert to_the_minute(seconds) == rounded
