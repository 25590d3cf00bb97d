"""Names and records as a first meeting reads them, told without a homeserver (the bot's own
wiring through the offline core; people, rooms and time faked).

Carol (US) chairs from the English room and Beto (MX) speaks from the Spanish one; their display
names already end in their centers, as the demo accounts and many real ones do. Translation is
`none`: every "translation" comes back as the original.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.domain.messages import Msg, UserText
from bot.domain.minutes import WrittenText
from bot.domain.mirror import MirrorText
from bot.domain.outbox import UPLOAD_KEY
from bot.domain.polls import Poll
from bot.domain.tally import PollKind
from bot.domain.wording import adds_something, same_words
from bot.render.polls import localized_poll
from bot.storage.database import Database
from bot.storage.migrations import MIGRATIONS
from tests.harness.fakes import Clock, Scheduler, Seats
from tests.harness.offline import CATALOGS
from tests.harness.reading import as_read
from tests.unit.test_meetings_commands import (
    ASSEMBLY,
    BETO,
    CAROL,
    DANI,
    EN,
    ES,
    World,
    build_world,
)

ROOM_NAMES = {EN: "Assembly (EN)", ES: "Asamblea (ES)"}
NAMED = Seats(
    {EN: {CAROL: "Carol (US)"}, ES: {BETO: "Beto (MX)", DANI: "Dani"}}, room_names=ROOM_NAMES
)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    db = await Database.open(":memory:")
    try:
        yield await build_world(db, Clock(), Scheduler(), ASSEMBLY, NAMED)
    finally:
        await db.close()


def everything_said(world: World) -> str:
    return "\n".join(world.said_in(EN) + world.said_in(ES))


def minutes_file(world: World, name: str) -> str:
    """The text of the newest minutes file called `name` that the bot posted, as read."""
    for message in reversed(world.sent):
        if message.content.get("filename") == name:
            return as_read(base64.b64decode(message.content[UPLOAD_KEY]["data"]).decode())
    raise AssertionError(f"no file {name} was posted")


async def a_closed_poll_then_records(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Lunch")
    await world.say(CAROL, EN, '!poll "Do we eat at noon?"')
    await world.say(CAROL, EN, "!vote yes")
    await world.say(BETO, ES, "!votar sí")
    await world.say(CAROL, EN, "!close")
    await world.say(CAROL, EN, "!agreed We eat at noon")
    await world.say(CAROL, EN, f"!action {BETO} book the hall")


# -- names ------------------------------------------------------------------------------------


async def test_a_name_ending_in_its_center_is_shown_with_it_once_everywhere(world: World) -> None:
    await a_closed_poll_then_records(world)
    said = everything_said(world)
    assert "Chairs: Carol (US)." in said and "Moderación: Carol (US)." in said
    assert "Poll #1, started by Carol (US)" in said
    assert "Poll #1 closed by Carol (US)" in said
    assert "Voted Yes: Beto (MX), Carol (US)." in said
    assert "Carol (US): Acuerdo #1 anotado: We eat at noon" in said
    assert "(US) (US)" not in said and "(MX) (MX)" not in said

    await world.say(CAROL, EN, "!endmeeting")
    await world.say(BETO, ES, "!acta")
    minutes = minutes_file(world, "minutes-1-en.md")
    assert "Chairs: Carol (US)" in minutes and "### Beto (MX)\n" in minutes
    assert "(US) (US)" not in minutes and "(MX) (MX)" not in minutes


async def test_each_rooms_minutes_tell_time_on_that_rooms_clock(world: World) -> None:
    """Carol records the agreement at 22:13 UTC: 17:13 in New York, 16:13 in Mexico City."""
    await a_closed_poll_then_records(world)
    await world.say(BETO, ES, "!acta")
    english = minutes_file(world, "minutes-1-en.md")
    spanish = minutes_file(world, "minutes-1-es.md")
    assert "We eat at noon _(17:13 New York, Carol (US))_" in english
    assert "We eat at noon _(16:13 Ciudad de México, Carol (US))_" in spanish
    assert "book the hall _(16:13 Ciudad de México, Carol (US))_" in spanish


async def test_the_room_that_did_not_ask_is_told_what_the_minutes_files_are(
    world: World,
) -> None:
    await a_closed_poll_then_records(world)
    mark = world.mark()
    await world.say(BETO, ES, "!acta")
    english = [m for m in world.sent[mark:] if m.room_id == EN]
    assert [m.content.get("filename") for m in english] == [
        "minutes-1-en.md",
        "minutes-1-en.html",
        None,
    ]
    assert as_read(english[-1].content["body"]) == (
        "Beto (MX) asked for the minutes of meeting #1 (Lunch). Here they are in English: "
        "minutes-1-en.md (Markdown) and minutes-1-en.html (a page to read or print)."
    )
    assert english[-1].content["msgtype"] == "m.notice"
    # Beto's own room is answered as before, once.
    assert world.said_in(ES, mark)[-1].startswith("El acta de la reunión #1 (Lunch) está publicada")


async def test_the_minutes_list_the_chairs_the_opening_announced(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Lunch")
    await world.say(CAROL, EN, f"!chair {BETO}")
    await world.say(CAROL, EN, "!endmeeting")
    await world.say(BETO, ES, "!acta")
    assert "Chairs: Carol (US), Beto (MX)" in minutes_file(world, "minutes-1-en.md")


async def test_after_a_restart_the_minutes_still_name_people(world: World) -> None:
    """Restarted, the bot does not know yet who sits where: the names it kept name them."""
    await world.say(CAROL, EN, "!startmeeting Lunch")
    await world.say(CAROL, EN, f"!chair {BETO}")
    await world.say(DANI, ES, "!presente")
    await world.say(BETO, ES, "!mano")
    await world.say(CAROL, EN, "!endmeeting")
    later = await build_world(world.db, world.clock, Scheduler(), ASSEMBLY, Seats({}))
    later.ids = world.ids
    await later.say(CAROL, EN, "!minutes")
    minutes = minutes_file(later, "minutes-1-en.md")
    assert "Chairs: Carol (US), Beto (MX)" in minutes
    assert "| MX | 2 | Beto, Dani |" in minutes
    assert "@" not in minutes.split("## Speaking statistics")[0]


# -- numbers ----------------------------------------------------------------------------------


async def test_each_kind_is_numbered_on_its_own_as_chat_and_minutes_say(world: World) -> None:
    await a_closed_poll_then_records(world)
    await world.say(CAROL, EN, "!agreed We meet on Fridays")
    assert world.said_in(EN)[-1] == "Agreement #2 recorded: We meet on Fridays"
    await world.say(CAROL, EN, "!undo")
    assert world.said_in(EN)[-1] == "Undone: agreement #2 (We meet on Fridays)."
    await world.say(CAROL, EN, "!agreed We meet on Thursdays")
    assert world.said_in(EN)[-1] == "Agreement #2 recorded: We meet on Thursdays"
    said = everything_said(world)
    assert "Agreement #1 recorded: We eat at noon" in said
    assert "Action item #1 for Beto (MX): book the hall" in said

    await world.say(CAROL, EN, "!endmeeting")
    await world.say(CAROL, EN, "!minutes")
    minutes = minutes_file(world, "minutes-1-en.md")
    assert "- **#1** We eat at noon" in minutes
    assert "- **#2** We meet on Thursdays" in minutes and "Fridays" not in minutes
    assert "- **#1** book the hall" in minutes
    assert "### #1 Do we eat at noon?\n" in minutes


async def test_polls_are_numbered_in_each_meeting_and_addressed_there(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting First")
    await world.say(CAROL, EN, '!poll "Lunch?"')
    await world.say(CAROL, EN, "!close")
    await world.say(CAROL, EN, "!endmeeting")
    await world.say(CAROL, EN, "!startmeeting Second")
    await world.say(CAROL, EN, '!poll "Dinner?"')
    assert "Poll #1: Dinner?" in world.said_in(EN)[-2]
    mark = world.mark()
    await world.say(BETO, ES, "!resultados #1")
    assert world.said_in(ES, mark)[0].startswith("La votación #1 está abierta: Dinner?")
    await world.say(CAROL, EN, "!endmeeting")
    # Between meetings, a poll continues the numbering of the latest meeting.
    await world.say(CAROL, EN, '!poll "Breakfast?"')
    assert "Poll #2: Breakfast?" in world.said_in(EN)[-2]
    mark = world.mark()
    await world.say(BETO, ES, "!votar #2 sí")
    await world.say(CAROL, EN, "!close #2")
    assert "Poll #2 closed by Carol (US): Breakfast?" in world.said_in(EN, mark)[-1]


# -- translations that add nothing ------------------------------------------------------------


async def test_a_translation_identical_to_the_original_is_not_shown_twice(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Lunch")
    await world.say(CAROL, EN, "!agreed We eat at noon")
    assert world.said_in(ES)[-1] == "Carol (US): Acuerdo #1 anotado: We eat at noon"


class SameWords:
    """A provider that hands the words back in other case and spacing."""

    async def translate_quickly(self, text: str, source: str, target: str) -> str | None:
        return f"  {text.lower()} "

    async def translate_lines_quickly(
        self, lines: Sequence[str], source: str, target: str
    ) -> list[str | None]:
        return [f" {line.upper()}" for line in lines]


async def test_a_translation_differing_only_in_case_or_spacing_is_not_shown() -> None:
    db = await Database.open(":memory:")
    try:
        world = await build_world(db, Clock(), Scheduler(), ASSEMBLY, NAMED, texts=SameWords())
        await say_the_same_words(world)
    finally:
        await db.close()


async def say_the_same_words(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Lunch")
    await world.say(CAROL, EN, '!poll "Do we eat at noon?" "Rice" "Beans"')
    await world.say(CAROL, EN, "!agreed We eat at noon")
    spanish = "\n".join(world.said_in(ES))
    assert "Lunch (" not in spanish and "Rice (" not in spanish and "(Rice)" not in spanish
    assert "Carol (US): Acuerdo #1 anotado: We eat at noon" in spanish
    assert "(We eat at noon)" not in spanish and "(we eat at noon" not in spanish


def test_words_are_the_same_whatever_their_case_or_surrounding_space() -> None:
    assert same_words(" We eat at noon\n", "we EAT at noon")
    assert not same_words("We eat at noon", "Comemos al mediodía")
    assert not adds_something(None, "hola") and not adds_something("  ", "hola")
    assert not adds_something("Hola ", "hola") and adds_something("hello", "hola")


def test_every_place_that_quotes_a_translation_skips_one_that_adds_nothing() -> None:
    assert CATALOGS.text("es", Msg.of("poll.join", head=UserText("Sí", "es", "sí"), tail="x")) == (
        "Sí, x"
    )
    html = CATALOGS.html("es", Msg.of("poll.join", head=UserText("Rice", "es", "rice "), tail="x"))
    assert str(html) == "Rice, x"
    assert WrittenText("Budget", "en", {"es": "budget"}).shown_in("es") == ("Budget", False)
    assert WrittenText("Budget", "en", {"es": "Presupuesto"}).shown_in("es") == (
        "Presupuesto",
        True,
    )
    assert not MirrorText("OK ", "ok", "en", "es", pending=False).translated
    poll = Poll(
        id=1, assembly="a", meeting_id=None, kind=PollKind.CHOICE, rule=None, question="Menu?",
        language="en", options=("Rice", "Beans"), max_selections=1, secret=False,
        ballot_key=None, quorum=None, deadline_at=None, created_by=CAROL, created_in=EN,
        created_at=0, source_event_id="$poll", closed_at=None, closed_by=None,
    )  # fmt: skip
    worded = localized_poll(CATALOGS, poll, "es", ["menu?", "RICE", "Frijoles"])
    assert worded.question == "Menu?"
    assert [text for _, text in worded.answers] == ["Rice", "Frijoles (Beans)"]


# -- status and durations ---------------------------------------------------------------------


async def test_status_names_the_rooms(world: World) -> None:
    await world.say(BETO, ES, "!estado")
    status = world.said_in(ES)[-1]
    assert "Sala Assembly (EN): inglés" in status and "Sala Asamblea (ES): español" in status
    assert "!english:test" not in status


async def test_speaking_time_is_the_same_at_the_end_of_the_meeting_and_in_the_minutes(
    world: World,
) -> None:
    await world.say(CAROL, EN, "!startmeeting Lunch")
    await world.say(BETO, ES, "!mano")
    await world.say(CAROL, EN, "!call")
    world.clock.advance(191.6)
    await world.say(BETO, ES, "!mano")
    await world.say(CAROL, EN, "!call")
    world.clock.advance(191.7)
    await world.say(CAROL, EN, "!endmeeting")
    assert "MX: present 1, turns 2, speaking time 6 min 23 s." in world.said_in(EN)[-1]
    await world.say(CAROL, EN, "!minutes")
    minutes = minutes_file(world, "minutes-1-en.md")
    assert "| Speaking time | 0 s | 6 min 23 s |" in minutes
    assert "| Beto | MX | 2 | 6 min 23 s |" in minutes


# -- a database from before the numbers -------------------------------------------------------


async def test_records_kept_before_the_numbers_are_numbered_as_the_minutes_now_show_them(
    tmp_path: Path,
) -> None:
    """Meeting 1 had a poll, two agreements (the second undone) and an action; a poll was opened
    after it ended, and another in meeting 2."""
    path = tmp_path / "old.db"
    old = await Database.open(path, MIGRATIONS[:7])
    await old.executescript(
        """
        INSERT INTO meetings (id, assembly, title, title_language, started_by, started_at,
            ended_at, stack_policy) VALUES
            (1, 'a', 'One', 'en', '@carol:x', 1000, 2000, 'fifo'),
            (2, 'a', 'Two', 'en', '@carol:x', 5000, NULL, 'fifo');
        INSERT INTO polls (id, assembly, meeting_id, kind, question, language, created_by,
            created_in, source_event_id, created_at) VALUES
            (1, 'a', 1, 'yes_no', 'Lunch?', 'en', '@carol:x', '!en', '$p1', 1100),
            (2, 'a', NULL, 'yes_no', 'Dinner?', 'en', '@carol:x', '!en', '$p2', 3000),
            (3, 'a', 2, 'yes_no', 'Breakfast?', 'en', '@carol:x', '!en', '$p3', 5100);
        INSERT INTO decisions (id, assembly, meeting_id, kind, text, language, author,
            created_at, poll_id, undone_at) VALUES
            (1, 'a', 1, 'poll', 'Lunch?', 'en', '@carol:x', 1200, 1, NULL),
            (2, 'a', 1, 'agreed', 'We eat', 'en', '@carol:x', 1300, NULL, NULL),
            (3, 'a', 1, 'agreed', 'We sing', 'en', '@carol:x', 1400, NULL, 1500),
            (4, 'a', 1, 'action', 'Cook', 'en', '@carol:x', 1600, NULL, NULL),
            (5, 'a', 1, 'agreed', 'We dance', 'en', '@carol:x', 1700, NULL, NULL);
        """
    )
    await old.close()
    db = await Database.open(path)
    try:
        entries = await db.fetch_all("SELECT id, number FROM decisions ORDER BY id")
        assert [(e["id"], e["number"]) for e in entries] == [
            (1, None), (2, 1), (3, 2), (4, 1), (5, 2)
        ]  # fmt: skip
        polls = await db.fetch_all("SELECT id, numbered_in, number FROM polls ORDER BY id")
        assert [tuple(p) for p in polls] == [(1, 1, 1), (2, 1, 2), (3, 2, 1)]
        meeting = await db.fetch_one("SELECT standing_chairs FROM meetings WHERE id = 1")
        assert meeting["standing_chairs"] == "[]"
    finally:
        await db.close()


# -- a tie --------------------------------------------------------------------------------------


async def test_a_tie_is_worded_as_a_tie_in_chat_and_in_the_minutes(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Lunch")
    await world.say(CAROL, EN, '!poll "Who cooks?" "Ana" "Beto"')
    await world.say(CAROL, EN, "!vote 1")
    await world.say(BETO, ES, "!votar 2")
    await world.say(CAROL, EN, "!close")
    assert "Outcome: a tie between Ana and Beto." in world.said_in(EN)[-1]
    assert "Resultado: un empate entre Ana y Beto." in world.said_in(ES)[-1]
    await world.say(CAROL, EN, "!minutes")
    english = minutes_file(world, "minutes-1-en.md")
    spanish = minutes_file(world, "minutes-1-es.md")
    assert "A tie between “Ana” and “Beto” for the most votes, with no tie-break." in english
    assert "Un empate entre «Ana» y «Beto» por el mayor número de votos, sin desempate." in spanish
