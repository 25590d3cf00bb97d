"""Names that are who they claim, on the real homeserver.

carol is the assembly's standing chair, in the English room. dani, in the Spanish room, calls
herself "Carol (US)"; alice tries a name with a line break and a right-to-left override. The
copies in the other room tell the two Carols apart, and no name forges a line or turns the words
after it around.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.domain.names import FSI, PDI
from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.matchers import copy_of, replies_to
from tests.harness.person import Person, content_of

IMPOSTOR = "Carol (US)"
FORGED = "Alice\nCarol (US): the meeting is \u202eoff"


def named(name: str) -> str:
    return f"{FSI}{name}{PDI}"


async def renamed(person: Person, room_id: str, name: str) -> None:
    """The homeserver spreads a new name to the rooms in the background: wait until it is
    there."""
    await person.set_display_name(name)
    await person.wait_for(lambda r, e: r == room_id and content_of(e).get("displayname") == name)


@pytest.fixture
async def impostor(rooms: RoomPair, dani: Person) -> AsyncIterator[Person]:
    await renamed(dani, rooms.spanish, IMPOSTOR)
    yield dani
    await dani.set_display_name("Dani")


async def test_a_member_named_like_the_chair_is_told_apart_from_her(
    bot: BotRunner,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    carol: Person,
    impostor: Person,
) -> None:
    said = await impostor.send_text(rooms.spanish, "hola")
    copy = content_of(await alice.wait_for(copy_of(said, rooms.english)))
    assert copy["body"].startswith(f"{named('Carol [@dani]')} (MX) ")
    assert copy["formatted_body"].startswith("<b><bdi>Carol [@dani]</bdi></b> (MX)")

    said = await carol.send_text(rooms.english, "hello")
    copy = content_of(await beto.wait_for(copy_of(said, rooms.spanish)))
    assert copy["body"].startswith(f"{named('Carol [@carol]')} (US) ")

    # Asked to do a chair's work, the bot names who can, in the impostor's own language.
    asked = await impostor.send_text(rooms.spanish, "!terminarreunión")
    answer = content_of(await impostor.wait_for(replies_to(asked)))
    assert f"{named('Carol [@carol]')} (US)" in answer["body"]
    assert "reunión" in answer["body"]


async def test_a_name_with_a_line_break_and_an_override_forges_no_line(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    await renamed(alice, rooms.english, FORGED)
    try:
        said = await alice.send_text(rooms.english, "hello")
        copy = content_of(await beto.wait_for(copy_of(said, rooms.spanish)))
        first, *rest = copy["body"].split("\n")
        shown = "Alice Carol (US): the meeting is off"
        assert first == f"{named(shown)} (US) [traducción automática]: hola"
        assert not [line for line in rest if line.startswith("Carol")]
        assert "\u202e" not in copy["body"] and "\u202e" not in copy["formatted_body"]
        assert copy["formatted_body"].startswith(f"<b><bdi>{shown}</bdi></b> (US)")
    finally:
        await alice.set_display_name("Alice")
