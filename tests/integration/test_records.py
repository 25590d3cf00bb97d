"""The decision log, the minutes and scheduled reminders, on the real homeserver.

carol chairs from the English room, beto speaks from the Spanish room. Reminders use offsets of a
few seconds (set in this module's configuration) for a meeting a few seconds ahead; the bot's
timers fire when the test moves its clock on (a TimeMachine), so no test waits for them.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from nio import DownloadResponse

from bot.cli import main
from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.matchers import bot_says as says
from tests.harness.matchers import reaction_to, relation_of
from tests.harness.matchers import replies_to as reply_to
from tests.harness.person import Person, body_of, content_of, type_of
from tests.harness.reading import as_read
from tests.harness.time_machine import TimeMachine

HOSTILE = "<script>alert(1)</script>"
# The two reminders before a scheduled meeting; the test meeting starts MEETING_AHEAD from now.
FIRST, SECOND, MEETING_AHEAD = 12, 6, 18


@pytest.fixture
def assembly_extra() -> str:
    return f'reminder_offsets = ["{FIRST}s", "{SECOND}s"]'


@pytest.fixture
def time_machine() -> TimeMachine:
    """The bot's timers fire when a test moves time on, not when the wall clock gets there."""
    return TimeMachine()


def a_file(room_id: str, name: str):
    def match(event_room: str, event: Any) -> bool:
        content = content_of(event)
        return (
            event_room == room_id
            and content.get("msgtype") == "m.file"
            and content.get("filename") == name
        )

    return match


async def ask(person: Person, room: str, command: str) -> str:
    """Send a command and return the body of the bot's reply to it."""
    asked = await person.send_text(room, command)
    return body_of(await person.wait_for(reply_to(asked))) or ""


async def download(person: Person, event: Any) -> str:
    """The file as a person reads it (`tests.harness.reading`)."""
    response = await person.client.download(mxc=content_of(event)["url"])
    assert isinstance(response, DownloadResponse), response
    return as_read(response.body.decode())


# -- the decision log and the minutes ----------------------------------------------------------


async def test_a_meeting_recorded_here_has_minutes_in_both_languages(
    bot: BotRunner,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    carol: Person,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    en, es = rooms.english, rooms.spanish
    await carol.send_text(en, f"!startmeeting {HOSTILE}")
    await alice.wait_for(says(bot, en, "Meeting started"))
    await carol.send_text(en, "!item Budget 10m")
    await carol.send_text(en, "!next")
    await alice.wait_for(says(bot, en, "Next on the agenda: 1. Budget"))

    # Both centers take the floor.
    await alice.send_text(en, "!hand")
    await beto.send_text(es, "!mano")
    await alice.wait_for(says(bot, en, "Beto (MX) raised a hand:"))
    await carol.send_text(en, "!call")
    await alice.wait_for(says(bot, en, "Alice (US) has the floor."))
    said = await alice.send_text(en, "hello everyone")
    await beto.wait_for(says(bot, es, "hola todos"))
    await carol.send_text(en, "!call")
    await beto.wait_for(says(bot, es, "Beto (MX) tiene la palabra."))
    await beto.send_text(es, "buenas tardes")
    await alice.wait_for(says(bot, en, "Beto (MX)"))
    assert said

    # The decision log: each entry acknowledged with a reaction and a reply, and told in the
    # other room in its language.
    asked = await carol.send_text(en, "!agreed we rent the hall")
    await carol.wait_for(reaction_to(asked, "✅"))
    answer = body_of(await carol.wait_for(reply_to(asked)))
    assert answer.startswith("Agreement #") and answer.endswith("recorded: we rent the hall")
    told = body_of(await beto.wait_for(says(bot, es, "Carol (US): Acuerdo #")))
    assert "(we rent the hall)" in told  # the original next to its translation

    answer = await ask(carol, en, f"!action {beto.user_id} call the hall due 2030-01-15")
    assert "for Beto (MX), due 2030-01-15: call the hall" in answer
    answer = await ask(beto, es, "!sugerencia una rifa")
    assert answer.startswith("Idea #") and answer.endswith("anotada: una rifa")
    await alice.wait_for(says(bot, en, "Beto (MX): Idea #"))

    # A poll, voted from both centers.
    await carol.send_text(en, '!poll "Do we rent the hall?"')
    await beto.wait_for(lambda r, e: r == es and type_of(e) == "org.matrix.msc3381.poll.start")
    for person, room in ((alice, en), (carol, en), (beto, es)):
        voted = await person.send_text(room, "!vote yes")
        await person.wait_for(lambda r, e, v=voted: reaction_to_any(e, v))
    await carol.send_text(en, "!close")
    await alice.wait_for(says(bot, en, "Outcome:"))
    await carol.send_text(en, "!endmeeting")
    await beto.wait_for(says(bot, es, "Terminó la reunión"), timeout=20)

    # The minutes are posted in every room, each in its language, as Markdown and HTML.
    assert bot.app is not None and bot.app.db is not None
    row = await bot.app.db.fetch_one("SELECT max(id) AS id FROM meetings")
    meeting = row["id"]
    asked = await alice.send_text(en, "!minutes")
    await alice.wait_for(reaction_to(asked, "📄"))
    english_md = await alice.wait_for(a_file(en, f"minutes-{meeting}-en.md"))
    await alice.wait_for(a_file(en, f"minutes-{meeting}-en.html"))
    spanish_html = await beto.wait_for(a_file(es, f"minutes-{meeting}-es.html"))
    await beto.wait_for(a_file(es, f"minutes-{meeting}-es.md"))
    # The Spanish room did not ask: it is told whose files these are and what they hold.
    told = body_of(await beto.wait_for(says(bot, es, "pidió el acta de la reunión")))
    assert told.startswith(f"Alice (US) pidió el acta de la reunión #{meeting} (")
    assert told.endswith(
        f"Aquí está en español: minutes-{meeting}-es.md (Markdown) y minutes-{meeting}-es.html "
        "(una página para leer o imprimir)."
    )
    assert content_of(english_md)["info"]["mimetype"].startswith("text/markdown")

    markdown = await download(alice, english_md)
    assert markdown.startswith("# \\<script>alert(1)\\</script>\n")
    assert "## Agreements" in markdown and "we rent the hall" in markdown
    assert "### Beto (MX)\n" in markdown and "Due 2030-01-15: call the hall" in markdown
    assert "| Yes | 2 | 1 | 3 |" in markdown and "**Passed.**" in markdown
    assert "## Speaking statistics" in markdown
    assert "Chairs: Carol (US)" in markdown
    assert "| Center | US | MX |" in markdown and "| Share of turns | 50% | 50% |" in markdown
    assert "| 1 | Budget | 10 min |" in markdown

    page = await download(beto, spanish_html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script" not in page
    assert "Acuerdos" in page and "Tareas por persona" in page and "Votaciones" in page
    assert "Estadísticas de participación" in page and "una rifa" in page

    # The same minutes from the command line, side by side, with the transcript.
    database = str(bot.app.config.database_path)
    output = tmp_path / "minutes.html"
    args = ["minutes", "--database", database, "--meeting", str(meeting)]
    args += ["--format", "html", "--lang", "both", "--transcript", "-o", str(output)]
    assert await asyncio.to_thread(main, args) == 0
    both = output.read_text(encoding="utf-8")
    assert '<div lang="en">' in both and '<div lang="es">' in both
    assert "hello everyone" in both and "hola todos" in both and "buenas tardes" in both
    assert "<script" not in both and "Speaking statistics" in both and "Acuerdos" in both
    # Without --lang or --format: Markdown, the English minutes and then the Spanish ones.
    plain = tmp_path / "minutes.md"
    args = ["minutes", "--database", database, "--meeting", str(meeting), "-o", str(plain)]
    assert await asyncio.to_thread(main, args) == 0
    text = as_read(plain.read_text(encoding="utf-8"))
    assert text.startswith("**English**\n\n# ")
    assert text.index("## Speaking statistics") < text.index("**español**")
    assert text.index("**español**") < text.index("## Acuerdos")
    assert " · " not in text
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["meetings", "--database", database]) == 0
    listed = capsys.readouterr().out
    assert f"{meeting}\tAsamblea de prueba\t" in listed and HOSTILE in listed


def reaction_to_any(event: Any, event_id: str) -> bool:
    relation = relation_of(event)
    return type_of(event) == "m.reaction" and relation.get("event_id") == event_id


async def test_mistakes_get_clear_answers_and_change_nothing(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    assert "Only a chair" in await ask(alice, en, "!undo")
    assert "Write what was agreed" in await ask(carol, en, "!agreed")
    # A name nobody in the rooms goes by names nobody (beto alone would name Beto).
    assert "Nobody" in await ask(carol, en, "!action zelda call the hall")
    answer = await ask(carol, en, "!action @nobody:localhost call the hall")
    assert "is not in any room of this assembly" in answer
    answer = await ask(carol, en, f"!action {beto.user_id} call the hall due someday")
    assert "is not a date" in answer and "Usage: !action" in answer
    assert "is not a date" in await ask(carol, en, "!programar 2025-02-30 18:00 Asamblea")
    assert "Solo quien modera" in await ask(beto, es, "!programar mañana 18:00 Asamblea")
    assert "already passed" in await ask(carol, en, '!schedule 2020-01-01 18:00 "Old times"')
    assert "is not a time" in await ask(carol, en, "!schedule tomorrow 25:00 Late")
    assert "Usage: !schedule" in await ask(carol, en, "!schedule tomorrow 18:00")
    assert "Give the meeting a title" in await ask(carol, en, "!schedule tomorrow 18:00 MX")
    assert "no scheduled meeting #42" in await ask(carol, en, "!unschedule 42")
    assert "No meetings are scheduled" in await ask(alice, en, "!schedules")
    assert "no ha habido ninguna reunión" in await ask(beto, es, "!acta")
    assert "nothing in the decision log to undo" in await ask(carol, en, "!deshacer")

    # A real entry can be undone once; the other room is told.
    await ask(carol, en, "!info the hall seats 80")
    assert "Undone: information #" in await ask(carol, en, "!undo")
    await beto.wait_for(says(bot, es, "Carol (US) deshizo información #"))
    assert "nothing in the decision log to undo" in await ask(carol, en, "!undo")
    assert bot.app is not None and bot.app.db is not None
    rows = await bot.app.db.fetch_all("SELECT undone_at FROM decisions")
    assert len(rows) == 1 and rows[0]["undone_at"] is not None
    assert await bot.app.db.fetch_all("SELECT * FROM schedules") == []


# -- scheduled meetings and reminders ------------------------------------------------------------


async def test_reminders_reach_both_rooms_once_each_across_a_restart(
    bot: BotRunner,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    carol: Person,
    time_machine: TimeMachine,
) -> None:
    en, es = rooms.english, rooms.spanish
    start = (time_machine.now() + timedelta(seconds=MEETING_AHEAD)).replace(microsecond=0)
    local = start.astimezone(ZoneInfo("America/New_York"))
    mexico = start.astimezone(ZoneInfo("America/Mexico_City"))
    answer = await ask(
        carol, en, f'!schedule {local:%Y-%m-%d} {local:%H:%M:%S} "Budget assembly" weekly'
    )
    assert answer.startswith("Scheduled: #")
    # Near midnight the two cities' dates differ, and the other city's date follows its time.
    assert f"{local:%H:%M} New York / {mexico:%H:%M} Mexico City" in answer
    assert "(every week)" in answer
    assert f"Reminders {FIRST} s, {SECOND} s before." in answer
    told = await beto.wait_for(says(bot, es, "Carol (US): Programada: #"))
    assert f"{mexico:%H:%M} Ciudad de México / {local:%H:%M} Nueva York" in body_of(told)
    listed = await ask(beto, es, "!programadas")
    assert "Reuniones programadas (1):" in listed and "(cada semana)" in listed

    english = "Reminder: Budget assembly starts in"
    spanish = "Recordatorio: "
    time_machine.move_to(start - timedelta(seconds=FIRST))
    assert await time_machine.run_due() == 1
    first = await alice.wait_for(says(bot, en, english))
    assert f"starts in {FIRST} s:" in body_of(first)
    assert f"{local:%H:%M} New York / {mexico:%H:%M} Mexico City" in body_of(first)
    first_es = await beto.wait_for(says(bot, es, spanish))
    assert f"empieza en {FIRST} s:" in body_of(first_es)
    assert f"{mexico:%H:%M} Ciudad de México / {local:%H:%M} Nueva York" in body_of(first_es)
    assert "(Budget assembly)" in body_of(first_es)  # translated title, original beside

    # The bot is down when the second reminder falls due; back up, it sends it once.
    await bot.stop()
    time_machine.move_to(start - timedelta(seconds=SECOND) + timedelta(seconds=0.5))
    await bot.start()
    assert await time_machine.run_due() == 1
    await alice.wait_for(lambda r, e: says(bot, en, english)(r, e) and e is not first)
    await beto.wait_for(lambda r, e: says(bot, es, spanish)(r, e) and e is not first_es)

    # Once the meeting has begun and a restart has rebuilt the jobs, still one of each.
    time_machine.move_to(start + timedelta(seconds=0.5))
    await bot.restart()
    assert await time_machine.run_due() == 1
    await alice.next_sync()
    await beto.next_sync()
    assert alice.count(en, says(bot, en, english)) == 2
    assert beto.count(es, says(bot, es, spanish)) == 2
    assert bot.app is not None and bot.app.db is not None
    rows = await bot.app.db.fetch_all(
        "SELECT offset_seconds, outcome FROM sent_reminders ORDER BY offset_seconds DESC"
    )
    assert [(r["offset_seconds"], r["outcome"]) for r in rows] == [
        (FIRST, "sent"),
        (SECOND, "sent"),
    ]
    # The next week's meeting is still ahead, at the same local time.
    assert f"{local:%H:%M} New York" in await ask(alice, en, "!schedules")
    assert time_machine.now() > start
