"""Follow-through over time, as the organisation reads it: a year of commitments of both
centers and the decisions of each month, in the bilingual report (its charts SVG the bot draws
itself, laid out in headless Chromium without scrolling sideways), and the calendar of meetings
and due dates, read back with the iCalendar library.
"""

from __future__ import annotations

import re
import struct
import subprocess
import xml.etree.ElementTree as ElementTree
import zlib
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.domain.commitments import Commitment, Status
from bot.domain.report import (
    ReportData,
    commitments_per_month,
    decisions_per_month,
    months_between,
    was_overdue,
)
from bot.domain.schedule import MeetingRule, Recurrence
from bot.render.calendar import ScheduledMeeting, calendar_file, recurrence_rule
from bot.render.report import DONE, MADE, OVERDUE, ReportRenderer, Series, bar_chart
from tests.harness.offline import CATALOGS
from tests.unit.test_commitments_domain import a_commitment
from tests.unit.test_minutes_layout import CHROMIUM, laid_out_width, needs_chromium

NY, MX = "America/New_York", "America/Mexico_City"
ZONES = {"US": NY, "MX": MX}
HOSTILE = "<script>alert(1)</script> & \"quotes\""


def ms(day: date, hour: int = 12, zone: str = MX) -> int:
    return int(datetime.combine(day, time(hour), ZoneInfo(zone)).timestamp() * 1000)


def commitment(
    number: int, center: str, made: date, due: date | None, **fields: object
) -> Commitment:
    return a_commitment(number, center, due, made_at=ms(made), **fields)


def a_year() -> ReportData:
    """Twelve months: each center takes on commitments every month, does most, lets some slip."""
    since, until = date(2025, 1, 1), date(2025, 12, 31)
    commitments = []
    number = 0
    for month in range(1, 13):
        for center, made in (("US", 3), ("MX", month % 4 + 1)):
            for k in range(made):
                number += 1
                start = date(2025, month, 2 + k)
                due = start + timedelta(days=10)
                if k == 0:  # done on time
                    fields = {"status": Status.DONE, "closed_at": ms(due - timedelta(days=2))}
                elif k == 1:  # done late: it was overdue in its month
                    fields = {"status": Status.DONE, "closed_at": ms(due + timedelta(days=5))}
                else:  # still open
                    fields = {}
                commitments.append(commitment(number, center, start, due, **fields))
    months = months_between(since, until)
    decided = [ms(date(2025, m, 15)) for m in range(1, 13) for _ in range(m % 5)]
    return ReportData(
        assembly=HOSTILE,
        since=since,
        until=until,
        months=months,
        centers=commitments_per_month(
            commitments, months, ["US", "MX"], ZONES.__getitem__, date(2026, 1, 1)
        ),
        decisions=decisions_per_month(decided, months, NY),
    )


# -- the figures --------------------------------------------------------------------------------


def test_overdue_means_not_done_by_the_end_of_its_day_in_the_owners_zone() -> None:
    due = date(2025, 3, 10)
    end = datetime(2025, 3, 11, 0, 0, tzinfo=ZoneInfo(MX))
    on_time = commitment(1, "MX", date(2025, 3, 1), due, status=Status.DONE)
    just = on_time.__class__(**{**on_time.__dict__, "closed_at": int(end.timestamp() * 1000) - 1})
    late = on_time.__class__(**{**on_time.__dict__, "closed_at": int(end.timestamp() * 1000)})
    still_open = commitment(2, "MX", date(2025, 3, 1), due)
    assert not was_overdue(just, MX, date(2025, 4, 1))
    assert was_overdue(late, MX, date(2025, 4, 1))
    assert was_overdue(still_open, MX, date(2025, 3, 11))
    assert not was_overdue(still_open, MX, date(2025, 3, 10))  # its day is not over yet


def test_each_center_counts_made_done_and_overdue_per_month() -> None:
    data = a_year()
    us, mx = data.centers
    assert [m.month for m in us.months] == [date(2025, m, 1) for m in range(1, 13)]
    assert [(m.made, m.done, m.overdue) for m in us.months[:2]] == [(3, 2, 2), (3, 2, 2)]
    assert (mx.months[0].made, mx.months[2].made) == (2, 4)
    assert us.totals == (36, 24, 24)
    assert [count for _, count in data.decisions][:5] == [1, 2, 3, 4, 0]


# -- the report ---------------------------------------------------------------------------------


def test_a_chart_is_svg_the_bot_draws_with_every_text_escaped() -> None:
    svg = bar_chart(HOSTILE, ["ene 2025", HOSTILE], [Series(HOSTILE, "#4477aa", (3, 0))])
    root = ElementTree.fromstring(str(svg))  # well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing fetched


def test_the_report_is_bilingual_in_markdown_and_html() -> None:
    renderer = ReportRenderer(CATALOGS)
    markdown, charts = renderer.markdown(a_year(), ["en", "es"], chart_stem="report")
    assert markdown.startswith("**English**\n\n# Follow-through of \\<script>alert(1)\\</script>")
    assert "\n**español**\n\n# Seguimiento de" in markdown
    assert "## US: commitments per month" in markdown and "## MX: compromisos por mes" in markdown
    assert "| Jan 2025 | 3 | 2 | 2 |" in markdown and "| ene 2025 | 3 | 2 | 2 |" in markdown
    assert "![Commitments of US, per month](report-commitments-US-en.svg)" in markdown
    assert [name for name, _ in charts][:3] == [
        "report-commitments-US-en.svg",
        "report-commitments-MX-en.svg",
        "report-decisions-en.svg",
    ]
    for _, svg in charts:
        ElementTree.fromstring(svg.split("\n", 1)[1])
    page = renderer.html(a_year(), ["en", "es"])
    assert page.count("<svg ") == 6 and "<script" not in page and "&lt;script&gt;" in page
    assert re.search(r"figure svg \{[^}]*width: 100%", page)
    assert "Decisiones tomadas, por mes" in page and "Decisions taken, per month" in page


@needs_chromium
@pytest.mark.parametrize("width", [1200, 680, 500])
def test_the_reports_charts_fit_the_page_in_a_browser(tmp_path: Path, width: int) -> None:
    page = ReportRenderer(CATALOGS).html(a_year(), ["en", "es"])
    scroll_width, window_width = laid_out_width(page, width, tmp_path)
    assert window_width == width
    assert scroll_width <= width


@needs_chromium
def test_the_report_draws_its_charts_in_a_browser(tmp_path: Path) -> None:
    """A screenshot of the page as a person opens it: a picture of the width asked for, with
    the charts' colours in it (they are drawn, not left blank)."""
    page = tmp_path / "report.html"
    page.write_text(ReportRenderer(CATALOGS).html(a_year(), ["en", "es"]), encoding="utf-8")
    shot = tmp_path / "report.png"
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,1400",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    image = shot.read_bytes()
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", image[16:24])
    assert (width, height) == (1200, 1400)
    pixels = _pixels(image)
    drawn = Counter(pixels[i : i + 3] for i in range(0, len(pixels), 3))
    for colour in (MADE, DONE, OVERDUE):
        assert drawn[bytes.fromhex(colour[1:])] > 100, colour


def _pixels(png: bytes) -> bytes:
    """The picture's pixels as RGB triples, from its IDAT chunks (8-bit RGB or RGBA)."""
    position, data, header = 8, b"", b""
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        body = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            data += body
        position += 12 + length
    width, _, depth, colour_type = struct.unpack(">IIBB", header[:10])
    channels = {2: 3, 6: 4}[colour_type]
    assert depth == 8
    raw = zlib.decompress(data)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for start in range(0, len(raw), stride + 1):
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(left, up, corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    flat = b"".join(rows)
    if channels == 3:
        return flat
    return b"".join(flat[i : i + 3] for i in range(0, len(flat), 4))


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


# -- the calendar -------------------------------------------------------------------------------

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def test_a_recurring_meeting_repeats_as_the_bot_repeats_it() -> None:
    weekly = MeetingRule(datetime(2025, 3, 10, 18), NY, Recurrence.WEEKLY)
    assert recurrence_rule(weekly) == {"freq": "weekly"}
    on_31st = MeetingRule(datetime(2025, 1, 31, 18), MX, Recurrence.MONTHLY)
    assert recurrence_rule(on_31st) == {
        "freq": "monthly",
        "bymonthday": [28, 29, 30, 31],
        "bysetpos": -1,
    }
    assert recurrence_rule(MeetingRule(datetime(2025, 3, 10, 18), NY)) is None


def test_the_calendar_parses_with_each_rooms_zone_and_the_meetings_local_times() -> None:
    meetings = [
        ScheduledMeeting(
            1, "Monthly assembly", MeetingRule(datetime(2025, 1, 13, 18), NY, Recurrence.MONTHLY)
        ),
        ScheduledMeeting(2, "Asamblea de Oaxaca", MeetingRule(datetime(2025, 4, 5, 17), MX)),
    ]
    due = [commitment(3, "MX", date(2025, 3, 1), date(2025, 3, 20))]
    text = calendar_file(
        assembly="Asamblea Binacional",
        zones=[NY, MX],
        meetings=meetings,
        commitments=due,
        languages=["en", "es"],
        wording=CATALOGS.text,
        prefix="!",
        now=NOW,
    )
    calendar = Calendar.from_ical(text)
    assert {str(z["TZID"]) for z in calendar.walk("VTIMEZONE")} == {NY, MX}
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    monthly = events["schedule-1@asamblea-binacional.asamblea"]
    start = monthly.decoded("DTSTART")
    assert start == datetime(2025, 1, 13, 18, tzinfo=ZoneInfo(NY))
    assert monthly["DTSTART"].params["TZID"] == NY
    assert monthly["RRULE"]["FREQ"] == ["MONTHLY"]
    # Mexico has no daylight saving time: in winter an hour earlier there, in summer two.
    assert start.astimezone(ZoneInfo(MX)).hour == 17
    assert (start + timedelta(days=120)).astimezone(ZoneInfo(MX)).hour == 16
    oaxaca = events["schedule-2@asamblea-binacional.asamblea"]
    assert oaxaca["DTSTART"].params["TZID"] == MX and "RRULE" not in oaxaca
    [due_date] = [e for uid, e in events.items() if uid.startswith("commitment-3@")]
    assert due_date.decoded("DTSTART") == date(2025, 3, 20)
    assert str(due_date["SUMMARY"]) == "C3 P3 (MX): task 3"
    description = str(due_date["DESCRIPTION"])
    assert "Commitment C3 of Asamblea Binacional is due this day" in description
    assert "El compromiso C3 de Asamblea Binacional vence este día" in description
