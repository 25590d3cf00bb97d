"""Naming a person the way Element does, on the real homeserver.

Picking someone from the member list as one types makes a pill: the body holds their display
name, the HTML body a matrix.to link around it, and `m.mentions` their id. Here alice goes by
"Ana (US)" in the English room and dani by "Ana (MX)" in the Spanish room: the name "Ana" alone
is ambiguous, a pill never is. carol (English room) and beto (Spanish room) are standing chairs.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.devserver import LocalSynapse, RegisteredAccount
from tests.conftest import BOT_LOCALPART, BOT_PASSWORD, PEOPLE
from tests.harness.bot_runner import BotRunner, RoomPair, write_config
from tests.harness.matchers import bot_says, replies_to
from tests.harness.person import Person, body_of, content_of, type_of

NAMES = {"alice": "Ana (US)", "dani": "Ana (MX)"}


def element(*parts: str | Person) -> dict[str, Any]:
    """A message as Element sends it, each person in `parts` a pill."""
    body, markup, mentioned = [], [], []
    for part in parts:
        if isinstance(part, str):
            body.append(part)
            markup.append(html.escape(part, quote=False))
        else:
            name = NAMES[part.account.localpart]
            body.append(name)
            markup.append(f'<a href="https://matrix.to/#/{part.user_id}">{html.escape(name)}</a>')
            mentioned.append(part.user_id)
    return {
        "msgtype": "m.text",
        "body": "".join(body),
        "format": "org.matrix.custom.html",
        "formatted_body": "".join(markup),
        "m.mentions": {"user_ids": mentioned},
    }


async def named_as(person: Person, room: str, name: str) -> None:
    """Change the person's display name and wait until their room shows it."""
    mark = person.mark()
    await person.set_display_name(name)
    await person.wait_for(
        lambda r, e: (
            r == room
            and type_of(e) == "m.room.member"
            and e.source.get("state_key") == person.user_id
            and content_of(e).get("displayname") == name
        ),
        since=mark,
    )


@pytest.fixture
async def two_anas(rooms: RoomPair, alice: Person, dani: Person) -> AsyncIterator[None]:
    """alice and dani renamed before the bot starts, and given their names back after."""
    try:
        await named_as(alice, rooms.english, NAMES["alice"])
        await named_as(dani, rooms.spanish, NAMES["dani"])
        yield
    finally:
        await alice.set_display_name(PEOPLE["alice"])
        await dani.set_display_name(PEOPLE["dani"])


@pytest.fixture
def bot_config(
    tmp_path: Path,
    synapse: LocalSynapse,
    accounts: dict[str, RegisteredAccount],
    rooms: RoomPair,
    carol: Person,
    beto: Person,
    two_anas: None,
) -> Path:
    return write_config(
        tmp_path / "config.toml",
        homeserver=synapse.base_url,
        bot_user_id=accounts[BOT_LOCALPART].user_id,
        bot_password=BOT_PASSWORD,
        rooms=rooms,
        chairs=[carol.user_id, beto.user_id],
    )


async def ask(person: Person, room: str, content: dict[str, Any] | str) -> str:
    """Send a command (text, or content of its own) and return the bot's reply to it."""
    if isinstance(content, str):
        asked = await person.send_text(room, content)
    else:
        asked = await person.send_content(room, "m.room.message", content)
    return body_of(await person.wait_for(replies_to(asked))) or ""


async def hear(
    bot: BotRunner, person: Person, room: str, content: dict[str, Any] | str, told: str
) -> None:
    """Send a command and wait until the bot tells the room `told`."""
    mark = person.mark()
    if isinstance(content, str):
        await person.send_text(room, content)
    else:
        await person.send_content(room, "m.room.message", content)
    await person.wait_for(bot_says(bot, room, told), since=mark)


async def test_pills_name_people_in_every_command_in_both_rooms(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, dani: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    await carol.send_text(en, "!startmeeting Pills")
    await alice.wait_for(bot_says(bot, en, "Meeting started: Pills"))

    # !chair and !moderar: whom the pill names may give the floor, and nobody else.
    assert (await ask(dani, es, "!llamar")).startswith("Solo quien modera esta reunión")
    chaired = "Ana [@alice] (US) is now a chair of this meeting."
    await hear(bot, carol, en, element("!chair ", alice), chaired)
    assert await ask(alice, en, "!call") == "Nobody is waiting to speak."
    assert (await ask(dani, es, "!llamar")).startswith("Solo quien modera esta reunión")
    chaired = "Ana [@dani] (MX) ahora modera esta reunión."
    await hear(bot, beto, es, element("!moderar ", dani), chaired)
    assert await ask(dani, es, "!llamar") == "Nadie está esperando para hablar."

    # !action and !tarea: the pill is the owner, a pill in the text stays a name.
    answer = await ask(carol, en, element("!action ", alice, " Send the budget to ", dani))
    noted = answer.splitlines()[0]
    assert noted == "Action item #1 for Ana [@alice] (US): Send the budget to Ana (MX)"
    answer = await ask(beto, es, element("!tarea ", dani, " Llamar al salón"))
    assert answer.splitlines()[0] == "Tarea #2 para Ana [@dani] (MX): Llamar al salón"

    # !item and !punto: the owner at either end.
    added = "Added to the agenda: 1. Budget (10 min; owner: Ana [@alice] (US))"
    await hear(bot, carol, en, element("!item Budget 10m ", alice), added)
    added = "Nuevo punto en el orden del día: 2. Calendario (responsable: Ana [@dani] (MX))"
    await hear(bot, beto, es, element("!punto ", dani, " Calendario"), added)

    # !remove and !retirar.
    await hear(bot, alice, en, "!hand", "Ana [@alice] (US) raised a hand")
    await hear(bot, dani, es, "!mano", "Ana [@dani] (MX) pidió la palabra")
    removed = "A chair took Ana [@alice] (US) off the stack."
    await hear(bot, carol, en, element("!remove ", alice), removed)
    removed = "La moderación quitó a Ana [@dani] (MX) de la lista de turnos."
    await hear(bot, beto, es, element("!retirar ", dani), removed)

    # !interpreter and !interprete: whom the pill names may go on duty.
    named = "Carol (US) named Ana [@alice] (US) an interpreter."
    await hear(bot, carol, en, element("!interpreter ", alice), named)
    assert (await ask(dani, es, "!interpretando sí")).startswith("Solo quien interpreta")
    await hear(bot, alice, en, "!interpreting on", "Ana [@alice] (US) is interpreting")
    named = "Beto (MX) nombró intérprete a Ana [@dani] (MX)."
    await hear(bot, beto, es, element("!interprete ", dani), named)
    await hear(bot, dani, es, "!interpretando sí", "Ana [@dani] (MX) está interpretando")


async def test_a_name_two_people_share_is_answered_with_both(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, dani: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    await carol.send_text(en, "!startmeeting Names")
    await alice.wait_for(bot_says(bot, en, "Meeting started: Names"))
    both = f"Ana (US) ({alice.user_id}), Ana (MX) ({dani.user_id})"
    assert await ask(carol, en, "!chair Ana") == (
        f"“Ana” could be more than one person: {both}. Pick the one you mean from the list as "
        "you type the name, or write their Matrix id."
    )
    assert await ask(beto, es, "!tarea ana revisar el acta") == (
        f"«ana» puede ser más de una persona: {both}. Elige a quien quieres decir de la lista "
        "mientras escribes el nombre, o escribe su identificador de Matrix."
    )
    # The name with its center is only one person's.
    chaired = "Ana [@dani] (MX) is now a chair of this meeting."
    await hear(bot, carol, en, "!chair ana (mx)", chaired)
    assert await ask(dani, es, "!llamar") == "Nadie está esperando para hablar."
