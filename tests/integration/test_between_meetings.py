"""Between meetings, on the real homeserver: two meetings a month apart.

In March carol (US) chairs and names beto (MX) a chair too; three commitments are made, one for
each of alice, beto and dani, and one agreement in each language mentions the budget. A month
later (the bot's clock moved on by a TimeMachine) beto's overdue commitment is reminded to him in
the Spanish room, the April meeting opens with the review of March's commitments grouped by
center in each room's language, one is done, one dropped with its reason, and March's minutes
are corrected and approved. The register finds each agreement from the other language, and the
command line writes the report and the calendar from the bot's database.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.cli import main
from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.matchers import bot_says as says
from tests.harness.matchers import reaction_to
from tests.harness.matchers import replies_to as reply_to
from tests.harness.person import Person, body_of, content_of
from tests.harness.time_machine import TimeMachine
from tests.integration.test_records import a_file, download

NY, MX = ZoneInfo("America/New_York"), ZoneInfo("America/Mexico_City")


@pytest.fixture
def time_machine() -> TimeMachine:
    return TimeMachine()


async def ask(person: Person, room: str, command: str) -> str:
    asked = await person.send_text(room, command)
    return body_of(await person.wait_for(reply_to(asked))) or ""


async def march(
    bot: BotRunner,
    rooms: RoomPair,
    people: tuple[Person, Person, Person, Person],
    today: date,
) -> None:
    alice, beto, carol, dani = people
    en, es = rooms.english, rooms.spanish
    await carol.send_text(en, "!startmeeting March assembly")
    await beto.wait_for(says(bot, es, "Empieza la reunión"))
    await carol.send_text(en, f"!chair {beto.user_id}")
    await beto.wait_for(says(bot, es, "Beto (MX) ahora modera esta reunión"))
    due = today + timedelta(2)
    answer = await ask(carol, en, f"!action {beto.user_id} call the hall due {due}")
    assert "It is commitment C1 of the assembly" in answer
    await beto.wait_for(says(bot, es, "Es el compromiso C1 de la asamblea"))
    answer = await ask(
        carol, en, f"!action {alice.user_id} send the budget due {today + timedelta(40)}"
    )
    assert "commitment C2" in answer
    answer = await ask(carol, en, f"!action {dani.user_id} book the bus due {today + timedelta(3)}")
    assert "commitment C3" in answer
    # An agreement in each language about the budget, each told in the other room translated.
    await ask(carol, en, "!agreed we approve the budget")
    await beto.wait_for(says(bot, es, "el presupuesto"))
    await ask(beto, es, "!acuerdo el presupuesto para la casa")
    await alice.wait_for(says(bot, en, "the budget for the house"))
    await carol.send_text(en, "!endmeeting")
    await beto.wait_for(says(bot, es, "Terminó la reunión"))


async def test_two_meetings_a_month_apart_follow_through_between_the_centers(
    bot: BotRunner,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    carol: Person,
    dani: Person,
    time_machine: TimeMachine,
    tmp_path: Path,
) -> None:
    en, es = rooms.english, rooms.spanish
    today = time_machine.now().astimezone(MX).date()
    await march(bot, rooms, (alice, beto, carol, dani), today)

    # A month later: the morning of beto's fourth weekly reminder, 10:00 in Mexico City.
    due = today + timedelta(2)
    time_machine.move_to(datetime.combine(due + timedelta(28), time(10), MX))
    mark = alice.mark()
    assert await time_machine.run_due() >= 1
    reminder = await beto.wait_for(says(bot, es, "Beto (MX), el compromiso C1 está vencido"))
    assert f"(era para el {due})" in body_of(reminder)
    assert "!cumplido 1" in body_of(reminder)
    assert content_of(reminder)["msgtype"] == "m.text"
    assert content_of(reminder)["m.mentions"] == {"user_ids": [beto.user_id]}

    # April: the review of March's commitments opens the meeting, per center, in each language.
    await carol.send_text(en, "!startmeeting April assembly")
    review = body_of(await alice.wait_for(says(bot, en, "Commitments of earlier meetings")))
    assert review.startswith("Commitments of earlier meetings still open: 3, 2 of them overdue.")
    assert review.index("US — open: 1, overdue: 0") < review.index("MX — open: 2, overdue: 2")
    assert f"C1 Beto (MX): call the hall (OVERDUE, was due {due})" in review
    revision = body_of(await beto.wait_for(says(bot, es, "Compromisos de reuniones anteriores")))
    assert revision.startswith("Compromisos de reuniones anteriores aún pendientes: 3")
    assert "US — pendientes: 1, vencidos: 0" in revision
    assert "MX — pendientes: 2, vencidos: 2" in revision and "VENCIDO" in revision
    assert "!cumplido C1" in revision
    assert alice.count(en, says(bot, en, "el compromiso C1 está vencido"), since=mark) == 0
    assert "1. Revisión de compromisos" in await ask(beto, es, "!orden")

    # One done by its owner, one dropped by a chair with its reason: every room is told.
    await alice.send_text(en, "!complete C2 sent to both centers")
    await beto.wait_for(says(bot, es, "Alice (US) marcó C2 como cumplido"))
    await carol.send_text(en, '!drop C3 "the bus company closed"')
    dropped = body_of(await beto.wait_for(says(bot, es, "Carol (US) descartó C3")))
    assert "Motivo:" in dropped and "the bus company closed" in dropped
    listed = await ask(dani, es, "!compromisos")
    assert listed.startswith("Compromisos pendientes (1):") and "C1 Beto (MX)" in listed

    # March's minutes, corrected and approved by April's meeting.
    await carol.send_text(en, '!correct 1 "Dani was present too"')
    await beto.wait_for(says(bot, es, "Carol (US) anotó una corrección al acta de la reunión #1"))
    approved = await carol.send_text(en, "!approve 1")
    await carol.wait_for(reaction_to(approved, "✅"))
    await beto.wait_for(says(bot, es, "se aprueba el acta de la reunión #1"))
    asked = await beto.send_text(es, "!acta 1")
    await beto.wait_for(reaction_to(asked, "📄"))
    spanish = await download(beto, await beto.wait_for(a_file(es, "minutes-1-es.md")))
    assert "**Aprobada el " in spanish and "por la reunión #2.**" in spanish
    assert "## Correcciones" in spanish and "Dani" in spanish.split("## Correcciones")[1]
    english = await download(alice, await alice.wait_for(a_file(en, "minutes-1-en.md")))
    assert "**Approved on " in english and "Dani was present too" in english
    assert "Draft" not in english

    # The decision register, across languages and meetings.
    found = await ask(beto, es, "!decisiones presupuesto")
    assert found.startswith("Decisiones sobre «presupuesto» (2):")
    english_made = [line for line in found.splitlines() if "acuerdo #1:" in line]
    assert len(english_made) == 1 and "reunión #1 (" in english_made[0]
    assert english_made[0].endswith("Acta: !acta 1")
    found = await ask(alice, en, "!decisions budget")
    spanish_made = [line for line in found.splitlines() if "agreement #2:" in line]
    assert len(spanish_made) == 1 and spanish_made[0].endswith("Minutes: !minutes 1")

    # A meeting scheduled in Mexico City's time, then the calendar and the report.
    day = (due + timedelta(35)).isoformat()
    answer = await ask(carol, en, f'!schedule {day} 18:00 MX "Asamblea de Oaxaca" monthly')
    assert answer.startswith("Scheduled: #")
    await carol.send_text(en, "!endmeeting")
    await beto.wait_for(says(bot, es, "Terminó la reunión"))
    assert bot.app is not None
    database = str(bot.app.config.database_path)
    ics = tmp_path / "asamblea.ics"
    args = ["calendar", "--database", database, "-o", str(ics)]
    assert await asyncio.to_thread(main, args) == 0
    calendar = Calendar.from_ical(ics.read_bytes())
    zones = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    assert zones == {"America/New_York", "America/Mexico_City"}
    events = {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}
    oaxaca = events["Asamblea de Oaxaca"]
    assert oaxaca["DTSTART"].params["TZID"] == "America/Mexico_City"
    assert oaxaca.decoded("DTSTART").astimezone(MX).hour == 18
    assert oaxaca["RRULE"]["FREQ"] == ["MONTHLY"]
    assert events["C1 Beto (MX): call the hall"].decoded("DTSTART") == due
    assert not any(summary.startswith(("C2 ", "C3 ")) for summary in events)

    prefix = tmp_path / "report"
    since = today.replace(day=1).isoformat()
    args = ["report", "--database", database, "--since", since, "-o", str(prefix)]
    assert await asyncio.to_thread(main, args) == 0
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## MX: commitments per month" in markdown and "## MX: compromisos por mes" in markdown
    assert (tmp_path / "report-commitments-MX-es.svg").read_text().count("<rect") > 3
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg ") == 6 and "<script" not in page
