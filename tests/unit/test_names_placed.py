"""Names where the bot places them: isolated from the words around them (FSI … PDI in plain
bodies, <bdi> in HTML), cleaned, and told apart in every message of a meeting and its minutes.

Dani, in the Spanish room, calls herself "Carol (US)" while Carol chairs from the English room.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest

from bot.domain.interpretation import Origin
from bot.domain.messages import Msg, Name, from_data, to_data
from bot.domain.mirror import MirrorText, Speaker
from bot.domain.names import FSI, PDI
from bot.domain.outbox import UPLOAD_KEY
from bot.i18n import Catalogs
from bot.render.minutes import isolates_as_bdi
from bot.render.mirror import text_content
from bot.render.notices import bot_message
from bot.storage.database import Database
from tests.harness.fakes import Clock, Scheduler, Seats
from tests.unit.test_meetings_commands import BETO, CAROL, DANI, EN, ES, World, build_world
from tests.unit.test_names import FORGED, named

CATALOGS = Catalogs.load_default()


# -- placing names ----------------------------------------------------------------------------


def test_a_name_is_isolated_in_plain_text_and_in_html() -> None:
    message = Msg.of("stack.person", name=Name("<b>\u202eAna</b>"), center="US")
    assert CATALOGS.text("en", message) == f"{named('<b>Ana</b>')} (US)"
    assert str(CATALOGS.html("en", message)) == "<b><bdi>&lt;b&gt;Ana&lt;/b&gt;</bdi></b> (US)"
    unbold = Msg.of("stack.person", name=Name("Ana", bold=False), center="US")
    assert str(CATALOGS.html("en", unbold)) == "<bdi>Ana</bdi> (US)"


def test_a_name_kept_for_later_is_still_a_name() -> None:
    message = Msg.of("stack.person", name=Name("Ana", bold=False), center="US")
    assert from_data(to_data(message)) == message


def test_a_copy_from_a_hostile_name_forges_no_line_and_keeps_its_label_in_place() -> None:
    words = MirrorText("hola", "hello", "en", "es", pending=False)
    content = text_content(CATALOGS, Speaker(FORGED, "US"), "m.text", words)
    first, *_ = content["body"].split("\n")
    assert first == (
        f"{named('Mallory Carol (US): the meeting is off')} (US) [traducción automática]: hola"
    )
    assert "\u202e" not in content["body"]
    assert content["formatted_body"].startswith(
        "<b><bdi>Mallory Carol (US): the meeting is off</bdi></b> (US)"
    )


def test_an_interpreters_name_in_a_copys_label_is_isolated() -> None:
    interpreted = MirrorText(
        "hola", "hello", "en", "es", pending=False, origin=Origin.INTERPRETER, interpreter="Ina"
    )
    content = text_content(CATALOGS, Speaker("Ana", "US"), "m.text", interpreted)
    first, *_ = content["body"].split("\n")
    assert first == f"{named('Ana')} (US) [interpretado por {named('Ina')}]: hola"
    assert content["formatted_body"].startswith(
        "<b><bdi>Ana</bdi></b> (US) <sup>[interpretado por <bdi>Ina</bdi>]</sup>: hola"
    )


def test_a_pinged_name_is_isolated_in_the_body_and_the_pill() -> None:
    content = bot_message(
        CATALOGS,
        "en",
        [Msg.of("stack.nobody")],
        msgtype="m.text",
        mentions=[(CAROL, "\u202eCarol")],
    )
    assert content["body"].endswith(f"\n{named('Carol')}")
    assert content["formatted_body"].endswith(
        f'<a href="https://matrix.to/#/{CAROL}"><bdi>Carol</bdi></a>'
    )


def test_minutes_in_html_isolate_names_in_bdi_and_leave_stray_marks_as_they_are() -> None:
    text = f"by {named('<b>Ana</b>')} ({FSI}a {FSI}b{PDI} c"
    html = f"by <bdi>&lt;b&gt;Ana&lt;/b&gt;</bdi> ({FSI}a <bdi>b</bdi> c"
    assert str(isolates_as_bdi(text)) == html


# -- a meeting with two Carols ----------------------------------------------------------------

TWO_CAROLS = Seats({EN: {CAROL: "Carol"}, ES: {DANI: "Carol (US)", BETO: "Beto"}})


@pytest.fixture
async def world() -> AsyncIterator[World]:
    db = await Database.open(":memory:")
    try:
        yield await build_world(db, Clock(), Scheduler(), members=TWO_CAROLS)
    finally:
        await db.close()


def bodies_in(world: World, room: str) -> list[str]:
    """The bodies as sent, isolates and all."""
    return [m.content.get("body", "") for m in world.sent if m.room_id == room]


def minutes_file(world: World, name: str) -> str:
    """The newest minutes file called `name`, as sent."""
    for message in reversed(world.sent):
        if message.content.get("filename") == name:
            return base64.b64decode(message.content[UPLOAD_KEY]["data"]).decode()
    raise AssertionError(f"no file {name} was posted")


async def test_dani_named_like_the_chair_is_told_apart_on_the_stack_and_the_roll(
    world: World,
) -> None:
    await world.say(CAROL, EN, "!startmeeting Lunch")
    assert f"Chairs: {named('Carol [@carol]')} (US)." in bodies_in(world, EN)[0]
    await world.say(DANI, ES, "!mano")
    assert f"{named('Carol [@dani]')} (MX)" in bodies_in(world, EN)[-1]
    await world.say(CAROL, EN, "!here")
    await world.say(DANI, ES, "!presente")
    await world.say(BETO, ES, "!presente")
    await world.say(CAROL, EN, "!attendance")
    roll = bodies_in(world, EN)[-1]
    assert f"US (1): {named('Carol [@carol]')}" in roll
    assert f"MX (2): {named('Carol [@dani]')}, {named('Beto')}" in roll


async def test_after_a_restart_the_minutes_still_tell_the_two_carols_apart(
    world: World,
) -> None:
    await world.say(CAROL, EN, "!startmeeting Lunch")
    await world.say(DANI, ES, "!presente")
    await world.say(CAROL, EN, "!endmeeting")
    later = await build_world(world.db, world.clock, Scheduler(), members=Seats({}))
    later.ids = world.ids
    await later.say(CAROL, EN, "!minutes")
    minutes = minutes_file(later, "minutes-1-en.md")
    # The tags' brackets are no link in Markdown: they are written as they are.
    chair, dani = named("Carol [@carol]"), named("Carol [@dani]")
    assert f"Chairs: {chair} (US)" in minutes
    assert f"| MX | 1 | {dani} |" in minutes
    page = minutes_file(later, "minutes-1-en.html")
    assert "Chairs: <bdi>Carol [@carol]</bdi> (US)" in page
    assert "<bdi>Carol [@dani]</bdi>" in page
