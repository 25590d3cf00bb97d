"""Naming a person in a command, without a homeserver: a pill picked in Element, a Matrix id, or a
name only one member has, read the same way by `!chair`, `!action`, `!item`, `!remove` and
`!interpreter`, in English and in Spanish.

alice goes by "Ana (US)" and carol by "Carol (US)" in the English room; beto by "Beto" and dani by
"Ana (MX)" in the Spanish room. carol and beto are standing chairs. Two people called Ana: the
name alone is ambiguous, a pill never is.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from bot.storage.database import Database
from bot.storage.decisions_store import DecisionsStore
from bot.storage.meetings_store import MeetingsStore
from tests.harness.fakes import Clock, Scheduler, Seats
from tests.unit.test_meetings_commands import (
    ALICE,
    ASSEMBLY,
    BETO,
    CAROL,
    DANI,
    EN,
    ES,
    World,
    build_world,
)

NAMES = {ALICE: "Ana (US)", CAROL: "Carol (US)", BETO: "Beto", DANI: "Ana (MX)"}
SEATS = Seats(
    {EN: {ALICE: NAMES[ALICE], CAROL: NAMES[CAROL]}, ES: {BETO: "Beto", DANI: "Ana (MX)"}}
)

Part = str | tuple[str, str]


def pill(user_id: str) -> tuple[str, str]:
    return (user_id, NAMES[user_id])


def element(*parts: Part) -> dict[str, Any]:
    """A message as Element sends it when a person is picked from the list as one types: the
    body holds the display name, the HTML a matrix.to link, and `m.mentions` the id."""
    body, markup, mentioned = [], [], []
    for part in parts:
        if isinstance(part, str):
            body.append(part)
            markup.append(html.escape(part, quote=False))
        else:
            user_id, name = part
            body.append(name)
            markup.append(f'<a href="https://matrix.to/#/{user_id}">{html.escape(name)}</a>')
            mentioned.append(user_id)
    return {
        "msgtype": "m.text",
        "body": "".join(body),
        "format": "org.matrix.custom.html",
        "formatted_body": "".join(markup),
        "m.mentions": {"user_ids": mentioned},
    }


@pytest.fixture
async def world() -> AsyncIterator[World]:
    db = await Database.open(":memory:")
    try:
        assembly = replace(ASSEMBLY, chairs=(CAROL, BETO))
        built = await build_world(db, Clock(), Scheduler(), assembly, SEATS)
        await built.say(CAROL, EN, "!startmeeting Monthly assembly")
        yield built
    finally:
        await db.close()


async def chairs(world: World, user: str, room: str) -> bool:
    """Whether `user` may give the floor now (only chairs may)."""
    mark = world.mark()
    await world.say(user, room, "!call")
    return not any(
        "Only a chair" in t or "Solo quien modera" in t for t in world.said_in(room, mark)
    )


async def action_owners(world: World) -> list[str | None]:
    meeting = await MeetingsStore(world.db).open_meeting(ASSEMBLY.name)
    assert meeting is not None
    entries = await DecisionsStore(world.db).entries_of_meeting(meeting.id)
    return [entry.owner for entry in entries]


async def item_owners(world: World) -> list[str | None]:
    meetings = MeetingsStore(world.db)
    meeting = await meetings.open_meeting(ASSEMBLY.name)
    assert meeting is not None
    return [item.owner for item in await meetings.agenda(meeting.id)]


# -- pills --------------------------------------------------------------------------------------


async def test_a_pill_names_a_chair_in_either_room(world: World) -> None:
    await world.send(CAROL, EN, element("!chair ", pill(ALICE)))
    assert world.said_in(EN)[-1] == "Ana [@alice] (US) is now a chair of this meeting."
    assert await chairs(world, ALICE, EN)
    assert not await chairs(world, DANI, ES)
    await world.send(BETO, ES, element("!moderar ", pill(DANI)))
    assert world.said_in(ES)[-1] == "Ana [@dani] (MX) ahora modera esta reunión."
    assert await chairs(world, DANI, ES)


async def test_a_pill_names_the_owner_of_an_action_and_its_words_stay_words(world: World) -> None:
    await world.send(
        CAROL, EN, element("!action ", pill(ALICE), " Send the budget to ", pill(BETO))
    )
    [noted, _] = world.said_in(EN)[-1].splitlines()
    assert noted == "Action item #1 for Ana [@alice] (US): Send the budget to Beto"
    await world.send(BETO, ES, element("!tarea ", pill(DANI), " Llamar al salón"))
    [noted, _] = world.said_in(ES)[-1].splitlines()
    assert noted == "Tarea #2 para Ana [@dani] (MX): Llamar al salón"
    assert await action_owners(world) == [ALICE, DANI]


async def test_a_pill_names_the_owner_of_an_agenda_item_at_either_end(world: World) -> None:
    await world.send(CAROL, EN, element("!item Budget 10m ", pill(ALICE)))
    assert world.said_in(EN)[-1] == (
        "Added to the agenda: 1. Budget (10 min; owner: Ana [@alice] (US))"
    )
    await world.send(BETO, ES, element("!punto ", pill(DANI), " Calendario"))
    added = "Nuevo punto en el orden del día: 2. Calendario (responsable: Ana [@dani] (MX))"
    assert world.said_in(ES)[-1] == added
    await world.say(CAROL, EN, "!item Hall @Carol (US)")
    assert world.said_in(EN)[-1] == "Added to the agenda: 3. Hall (owner: Carol (US))"
    await world.say(CAROL, EN, "!item Talk with Beto")
    assert world.said_in(EN)[-1] == "Added to the agenda: 4. Talk with Beto"
    assert await item_owners(world) == [ALICE, DANI, CAROL, None]


async def test_a_pill_takes_someone_off_the_stack(world: World) -> None:
    await world.say(ALICE, EN, "!hand")
    await world.say(DANI, ES, "!mano")
    await world.send(CAROL, EN, element("!remove ", pill(ALICE)))
    assert world.said_in(EN)[-1].splitlines()[0] == "A chair took Ana [@alice] (US) off the stack."
    await world.send(BETO, ES, element("!retirar ", pill(DANI)))
    assert world.said_in(ES)[-1].splitlines()[0] == (
        "La moderación quitó a Ana [@dani] (MX) de la lista de turnos."
    )


async def test_a_pill_names_an_interpreter(world: World) -> None:
    await world.send(CAROL, EN, element("!interpreter ", pill(ALICE)))
    assert world.said_in(EN)[-1].startswith(
        "Carol (US) named Ana [@alice] (US) an interpreter."
    )
    await world.send(BETO, ES, element("!interprete ", pill(DANI)))
    assert world.said_in(ES)[-1].startswith("Beto (MX) nombró intérprete a Ana [@dani] (MX).")
    await world.say(CAROL, EN, "!interpreters")
    assert world.said_in(EN)[-1].count("Ana") == 2


async def test_mentions_without_html_name_the_person_whose_name_the_body_shows() -> None:
    """Two people in the Spanish room go by "Ana (MX)": only `m.mentions` tells them apart."""
    twin = "@ana:test"
    seats = Seats(
        {EN: {CAROL: "Carol (US)"}, ES: {BETO: "Beto", DANI: "Ana (MX)", twin: "Ana (MX)"}}
    )
    db = await Database.open(":memory:")
    try:
        world = await build_world(
            db, Clock(), Scheduler(), replace(ASSEMBLY, chairs=(BETO,)), seats
        )
        await world.say(BETO, ES, "!iniciarreunion Asamblea")
        await world.say(BETO, ES, "!moderar Ana (MX)")
        assert world.said_in(ES)[-1].startswith("«Ana (MX)» puede ser más de una persona")
        mentioned = {"user_ids": [twin]}
        content = {"msgtype": "m.text", "body": "!moderar Ana (MX)", "m.mentions": mentioned}
        await world.send(BETO, ES, content)
        assert await chairs(world, twin, ES)
        assert not await chairs(world, DANI, ES)
    finally:
        await db.close()


async def test_a_reply_quoting_someone_does_not_name_them(world: World) -> None:
    said = await world.say(ALICE, EN, "Ana (US) here")
    content = {
        "msgtype": "m.text",
        "body": "> <@alice:test> Ana (US) here\n\n!action Beto call the hall",
        "format": "org.matrix.custom.html",
        "formatted_body": (
            '<mx-reply><blockquote><a href="https://matrix.to/#/!english:test/$x">In reply to</a>'
            ' <a href="https://matrix.to/#/@alice:test">Ana (US)</a><br>Ana (US) here'
            "</blockquote></mx-reply>!action Beto call the hall"
        ),
        "m.mentions": {"user_ids": [ALICE]},
        "m.relates_to": {"m.in_reply_to": {"event_id": said}},
    }
    await world.send(CAROL, EN, content)
    assert world.said_in(EN)[-1].splitlines()[0] == "Action item #1 for Beto (MX): call the hall"
    assert await action_owners(world) == [BETO]


# -- names --------------------------------------------------------------------------------------


async def test_a_name_only_one_member_has_is_enough(world: World) -> None:
    await world.say(CAROL, EN, "!chair ana (mx)")
    assert world.said_in(ES)[-1] == "Ana [@dani] (MX) ahora modera esta reunión."
    assert await chairs(world, DANI, ES)
    await world.say(BETO, ES, "!tarea Ana (US) revisar el acta")
    await world.say(BETO, ES, "!tarea beto llamar al salón")
    assert world.said_in(ES)[-1].splitlines()[0] == "Tarea #2 para Beto (MX): llamar al salón"
    assert await action_owners(world) == [ALICE, BETO]
    await world.say(ALICE, EN, "!hand")
    await world.say(CAROL, EN, "!remove ANA (us)")
    assert world.said_in(EN)[-1].splitlines()[0] == "A chair took Ana [@alice] (US) off the stack."


async def test_a_name_two_members_share_is_answered_with_both_in_the_rooms_language(
    world: World,
) -> None:
    mark = world.mark()
    await world.say(CAROL, EN, "!chair Ana")
    assert world.said_in(EN, mark) == [
        "“Ana” could be more than one person: Ana (US) (@alice:test), Ana (MX) (@dani:test). "
        "Pick the one you mean from the list as you type the name, or write their Matrix id."
    ]
    await world.say(BETO, ES, "!tarea ana revisar el acta")
    assert world.said_in(ES, mark) == [
        "«ana» puede ser más de una persona: Ana (US) (@alice:test), Ana (MX) (@dani:test). "
        "Elige a quien quieres decir de la lista mientras escribes el nombre, o escribe su "
        "identificador de Matrix."
    ]


async def test_a_name_nobody_has_is_answered_with_how_to_name_someone(world: World) -> None:
    mark = world.mark()
    await world.say(CAROL, EN, "!chair Zoe")
    [answer] = world.said_in(EN, mark)
    assert answer.splitlines()[0] == (
        "Nobody in this assembly is called “Zoe”. Pick the person from the list as you type "
        "their name, or write their Matrix id, like @name:server."
    )
    assert answer.splitlines()[1] == "Usage: !chair <person>"
    await world.say(BETO, ES, "!retirar Zoe")
    assert world.said_in(ES, mark)[-1].splitlines()[0] == (
        "Nadie en esta asamblea se llama «Zoe». Elige a la persona de la lista mientras escribes "
        "su nombre, o escribe su identificador de Matrix, como @nombre:servidor."
    )


async def test_an_id_still_names_anyone(world: World) -> None:
    await world.say(CAROL, EN, "!chair @beto:test")
    assert await chairs(world, BETO, ES)
