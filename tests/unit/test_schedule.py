"""Scheduled meetings across time zones, and which reminders go out when.

Mexico City has stayed on UTC−6 all year since 2022; New York changes its clocks (in 2025 on
9 March and 2 November). So the gap between the centers is 1 hour in winter and 2 in summer.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, parse_config
from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.schedule import (
    MeetingRule,
    Recurrence,
    Reminder,
    action_reminder_at,
    action_reminder_useful,
    format_day,
    format_in_zones,
    parse_date,
    parse_offset,
    parse_recurrence,
    parse_time,
    plan_reminders,
    resolve_zone,
    still_useful,
    to_utc,
)
from bot.framework.errors import UsageError
from commands.records import split_due
from commands.schedule import read_details

NEW_YORK = "America/New_York"
MEXICO_CITY = "America/Mexico_City"
CENTERS = {"US": NEW_YORK, "MX": MEXICO_CITY}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- reading what people type -----------------------------------------------------------------


def test_dates_are_iso_or_today_and_tomorrow_in_either_language() -> None:
    today = date(2025, 3, 7)
    assert parse_date("2025-03-10", today) == date(2025, 3, 10)
    assert parse_date("hoy", today) == today
    assert parse_date("Tomorrow", today) == date(2025, 3, 8)
    assert parse_date("mañana", today) == date(2025, 3, 8)
    # 03/04 means different days in the two centers: refused rather than guessed.
    assert parse_date("03/04/2025", today) is None
    assert parse_date("2025-02-30", today) is None
    assert parse_date("soon", today) is None


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("18:00", time(18, 0)),
        ("9:05", time(9, 5)),
        ("18:00:30", time(18, 0, 30)),
        ("18h", time(18, 0)),
        ("18h30", time(18, 30)),
        ("6pm", time(18, 0)),
        ("6:30pm", time(18, 30)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
    ],
)
def test_clock_times_in_the_forms_people_write(word: str, expected: time) -> None:
    assert parse_time(word) == expected


@pytest.mark.parametrize("word", ["25:00", "18:61", "18", "13pm", "noon", ""])
def test_impossible_clock_times_are_refused(word: str) -> None:
    assert parse_time(word) is None


def test_offsets_recurrences_and_zones() -> None:
    assert [parse_offset(w) for w in ("24h", "1h", "10m", "4s", "1h30m", "2d")] == [
        86400,
        3600,
        600,
        4,
        5400,
        172800,
    ]
    assert parse_offset("0s") is None and parse_offset("soon") is None
    assert parse_offset("40d") is None
    assert parse_recurrence("semanal") == parse_recurrence("Weekly") == Recurrence.WEEKLY
    assert parse_recurrence("quincenal") == Recurrence.BIWEEKLY
    assert parse_recurrence("mensual") == Recurrence.MONTHLY
    assert parse_recurrence("daily") is None
    assert str(resolve_zone("MX", CENTERS)) == MEXICO_CITY
    assert str(resolve_zone("us", CENTERS)) == NEW_YORK
    assert str(resolve_zone("Europe/Madrid", CENTERS)) == "Europe/Madrid"
    assert str(resolve_zone("utc", CENTERS)) == "UTC"
    assert resolve_zone("Mars/Olympus", CENTERS) is None
    assert resolve_zone("Asamblea", CENTERS) is None


# -- time zones -------------------------------------------------------------------------------


def test_the_gap_between_the_centers_is_one_hour_in_winter_and_two_in_summer() -> None:
    winter = to_utc(datetime(2025, 3, 3, 18, 0), MEXICO_CITY)
    summer = to_utc(datetime(2025, 3, 10, 18, 0), MEXICO_CITY)
    # Mexico City is on UTC−6 on both dates: no daylight saving time since 2022.
    assert winter == utc(2025, 3, 4, 0, 0) and summer == utc(2025, 3, 11, 0, 0)
    assert format_in_zones(winter, [MEXICO_CITY, NEW_YORK], "en") == (
        "18:00 Mexico City / 19:00 New York"
    )
    assert format_in_zones(summer, [MEXICO_CITY, NEW_YORK], "es") == (
        "18:00 Ciudad de México / 20:00 Nueva York"
    )


def test_a_weekly_new_york_meeting_keeps_its_local_time_across_the_us_change() -> None:
    rule = MeetingRule(datetime(2025, 3, 3, 18, 0), NEW_YORK, Recurrence.WEEKLY)
    before, after = rule.occurrence(0).start, rule.occurrence(1).start
    assert before == utc(2025, 3, 3, 23, 0)  # EST, UTC−5
    assert after == utc(2025, 3, 10, 22, 0)  # EDT, UTC−4: one hour earlier in UTC
    assert after - before == timedelta(days=7) - timedelta(hours=1)
    assert format_in_zones(before, [NEW_YORK, MEXICO_CITY], "en") == (
        "18:00 New York / 17:00 Mexico City"
    )
    assert format_in_zones(after, [NEW_YORK, MEXICO_CITY], "en") == (
        "18:00 New York / 16:00 Mexico City"
    )


def test_a_weekly_mexico_city_meeting_keeps_its_time_and_moves_in_new_york() -> None:
    rule = MeetingRule(datetime(2025, 10, 27, 18, 0), MEXICO_CITY, Recurrence.WEEKLY)
    summer, winter = rule.occurrence(0).start, rule.occurrence(1).start
    assert winter - summer == timedelta(days=7)  # Mexico City's clock never jumps
    assert format_in_zones(summer, [MEXICO_CITY, NEW_YORK], "es") == (
        "18:00 Ciudad de México / 20:00 Nueva York"
    )
    assert format_in_zones(winter, [MEXICO_CITY, NEW_YORK], "es") == (
        "18:00 Ciudad de México / 19:00 Nueva York"
    )


def test_times_the_clock_change_skips_or_repeats() -> None:
    # 02:30 never happens in New York on 9 March 2025: the meeting lands just after the gap.
    assert to_utc(datetime(2025, 3, 9, 2, 30), NEW_YORK) == utc(2025, 3, 9, 7, 30)
    # 01:30 happens twice on 2 November 2025: the first one counts.
    assert to_utc(datetime(2025, 11, 2, 1, 30), NEW_YORK) == utc(2025, 11, 2, 5, 30)


def test_a_different_date_in_the_other_zone_is_spelled_out() -> None:
    late = to_utc(datetime(2025, 3, 10, 23, 30), MEXICO_CITY)
    assert format_in_zones(late, [MEXICO_CITY, NEW_YORK], "en") == (
        "23:30 Mexico City / 01:30 New York (Mar 11, 2025)"
    )
    assert format_day(late, MEXICO_CITY, "es") == "lunes, 10 de marzo de 2025"


def test_monthly_meetings_fall_on_the_last_day_of_short_months() -> None:
    rule = MeetingRule(datetime(2025, 1, 31, 18, 0), MEXICO_CITY, Recurrence.MONTHLY)
    days = [rule.local_occurrence(n).date() for n in range(4)]
    assert days == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]


def test_biweekly_and_next_after() -> None:
    rule = MeetingRule(datetime(2025, 3, 3, 18, 0), NEW_YORK, Recurrence.BIWEEKLY)
    upcoming = rule.next_after(utc(2025, 3, 20))
    assert upcoming is not None and upcoming.index == 2
    assert upcoming.start == utc(2025, 3, 31, 22, 0)
    assert rule.previous_before(utc(2025, 3, 20)) == rule.occurrence(1)
    once = MeetingRule(datetime(2025, 3, 3, 18, 0), NEW_YORK)
    assert once.next_after(utc(2025, 3, 4)) is None
    assert once.previous_before(utc(2025, 3, 4)) == once.occurrence(0)


# -- reminders --------------------------------------------------------------------------------

OFFSETS = (86400, 3600, 600)
RULE = MeetingRule(datetime(2025, 3, 10, 18, 0), NEW_YORK, Recurrence.WEEKLY)
START = utc(2025, 3, 10, 22, 0)


def never(_: Reminder) -> bool:
    return False


def test_a_reminder_due_now_is_sent_and_the_plan_wakes_for_the_next() -> None:
    plan = plan_reminders(RULE, OFFSETS, START - timedelta(hours=1), never)
    assert [r.offset_seconds for r in plan.send] == [3600]
    # The 24-hour one, long past and never sent, is superseded by the one-hour reminder.
    assert [r.offset_seconds for r in plan.skip] == [86400]
    assert plan.next_wake == START - timedelta(minutes=10)


def test_once_handled_a_reminder_is_never_planned_again() -> None:
    sent: set[tuple[str, int]] = set()

    def handled(reminder: Reminder) -> bool:
        return (reminder.occurrence.key, reminder.offset_seconds) in sent

    now = START - timedelta(minutes=10)
    first = plan_reminders(RULE, OFFSETS, now, handled)
    sent.update((r.occurrence.key, r.offset_seconds) for r in (*first.send, *first.skip))
    again = plan_reminders(RULE, OFFSETS, now + timedelta(seconds=1), handled)
    assert again.send == () and again.skip == ()
    assert again.next_wake == START


def test_after_the_meeting_the_next_weeks_reminders_are_planned_at_local_time() -> None:
    plan = plan_reminders(RULE, OFFSETS, START + timedelta(minutes=1), lambda r: True)
    # 17 March, still 18:00 in New York (EDT): 22:00 UTC, the 24-hour reminder a day before.
    assert plan.next_wake == utc(2025, 3, 16, 22, 0)


def test_a_late_reminder_is_sent_within_its_grace_and_skipped_after() -> None:
    ten_minutes = Reminder(RULE.occurrence(0), 600)
    assert still_useful(ten_minutes, ten_minutes.at + timedelta(minutes=4))
    assert not still_useful(ten_minutes, ten_minutes.at + timedelta(minutes=6))
    a_day = Reminder(RULE.occurrence(0), 86400)
    assert still_useful(a_day, a_day.at + timedelta(hours=5))
    assert not still_useful(a_day, a_day.at + timedelta(hours=7))
    short = Reminder(RULE.occurrence(0), 4)
    assert still_useful(short, short.at + timedelta(seconds=3))
    assert not still_useful(short, START)  # never once the meeting has begun


def test_reminders_of_a_meeting_that_began_while_the_bot_was_down_are_skipped() -> None:
    plan = plan_reminders(RULE, OFFSETS, START + timedelta(hours=2), never)
    assert plan.send == ()
    assert sorted(r.offset_seconds for r in plan.skip) == [600, 3600, 86400]
    assert all(r.occurrence.start == START for r in plan.skip)


def test_a_one_off_meeting_has_nothing_left_to_plan_once_it_has_begun() -> None:
    once = MeetingRule(datetime(2025, 3, 10, 18, 0), NEW_YORK)
    plan = plan_reminders(once, OFFSETS, START + timedelta(days=1), lambda r: True)
    assert plan == plan.__class__((), (), None)


def test_action_items_remind_their_owner_on_the_morning_of_the_due_date() -> None:
    assert action_reminder_at(date(2025, 3, 10), MEXICO_CITY) == utc(2025, 3, 10, 15, 0)
    assert action_reminder_at(date(2025, 3, 10), NEW_YORK) == utc(2025, 3, 10, 13, 0)
    assert not action_reminder_useful(date(2025, 3, 10), MEXICO_CITY, utc(2025, 3, 10, 14))
    assert action_reminder_useful(date(2025, 3, 10), MEXICO_CITY, utc(2025, 3, 10, 23))
    assert not action_reminder_useful(date(2025, 3, 10), MEXICO_CITY, utc(2025, 3, 11, 7))


# -- configuration ----------------------------------------------------------------------------


def _config(offsets: str) -> dict:
    return tomllib.loads(
        f"""
[matrix]
homeserver = "https://matrix.example.org"
user_id = "@asamblea:example.org"
password = "secret"
[translation]
provider = "none"
[[assemblies]]
name = "General"
chairs = ["@ana:example.org"]
{offsets}
[[assemblies.rooms]]
room = "#en:example.org"
language = "en"
center = "US"
[[assemblies.rooms]]
room = "#es:example.org"
language = "es"
center = "MX"
"""
    )


def test_reminder_offsets_are_configurable_per_assembly() -> None:
    default = parse_config(_config(""), Path("."), {})
    assert default.assemblies[0].reminder_offsets == (86400, 3600, 600)
    short = parse_config(_config('reminder_offsets = ["4s", "1h", "30m"]'), Path("."), {})
    assert short.assemblies[0].reminder_offsets == (3600, 1800, 4)
    none = parse_config(_config("reminder_offsets = []"), Path("."), {})
    assert none.assemblies[0].reminder_offsets == ()
    with pytest.raises(ConfigError) as error:
        parse_config(_config('reminder_offsets = ["1h", "soon"]'), Path("."), {})
    assert error.value.problems == [
        "assemblies[0].reminder_offsets[1]: expected a duration like 24h, 1h, 10m or 30s; "
        "got 'soon'"
    ]


# -- what a chair types -----------------------------------------------------------------------

EN_ROOM = AssemblyRoom("!en:x", "en", "US", NEW_YORK)
ES_ROOM = AssemblyRoom("!es:x", "es", "MX", MEXICO_CITY)
ASSEMBLY = Assembly("General", (EN_ROOM, ES_ROOM))


def test_schedule_details_zone_title_and_repetition() -> None:
    assert read_details("Monthly assembly monthly", ASSEMBLY, EN_ROOM) == (
        NEW_YORK,
        "Monthly assembly",
        Recurrence.MONTHLY,
    )
    # The default zone is the zone of the room the command came from.
    assert read_details("Asamblea", ASSEMBLY, ES_ROOM) == (MEXICO_CITY, "Asamblea", Recurrence.ONCE)
    assert read_details("MX Asamblea general semanal", ASSEMBLY, EN_ROOM) == (
        MEXICO_CITY,
        "Asamblea general",
        Recurrence.WEEKLY,
    )
    assert read_details("Europe/Madrid Encuentro", ASSEMBLY, EN_ROOM)[0] == "Europe/Madrid"
    with pytest.raises(UsageError):
        read_details("Mars/Olympus Meeting", ASSEMBLY, EN_ROOM)


def test_an_action_items_due_date_is_read_from_its_end() -> None:
    today = date(2025, 3, 7)
    assert split_due("call the hall due 2025-03-10", today) == ("call the hall", date(2025, 3, 10))
    assert split_due("llamar al salón para mañana", today) == ("llamar al salón", date(2025, 3, 8))
    # "para" is also an ordinary Spanish word: without a date after it, it is part of the text.
    assert split_due("comprar sillas para la fiesta", today) == (
        "comprar sillas para la fiesta",
        None,
    )
    with pytest.raises(UsageError):
        split_due("call the hall due someday", today)
