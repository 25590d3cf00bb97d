"""A secret poll on a real homeserver keeps a small center secret: alice, carol and erin vote in
the English room's center (US), beto alone in the Spanish room's (MX). Whatever Mexico's line
said would be beto's vote, so neither room sees it, nor anything it could be worked out from.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.devserver import LocalSynapse
from tests.conftest import PERSON_PASSWORD
from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.person import Person, body_of
from tests.integration.test_polls import close, notice, poll_start, reaction_to, reply_to, turnout


@pytest.fixture
def bot_config(bot_config: Path) -> Path:
    """Encryption off, on purpose: the floor is the bot's tally, whatever the chats' transport.
    Small centers withheld with encryption on, as members vote, is checked in
    `test_ballot_road.py`'s encrypted run (two members per center, both withheld)."""
    text = bot_config.read_text(encoding="utf-8")
    bot_config.write_text(text.replace("[matrix]\n", "[matrix]\nencryption = false\n", 1))
    return bot_config


@pytest.fixture
async def erin(synapse: LocalSynapse, rooms: RoomPair, alice: Person) -> AsyncIterator[Person]:
    """A third member of the English room."""
    account = synapse.register("erin-floor", PERSON_PASSWORD, displayname="Erin")
    async with Person(synapse.base_url, account) as person:
        await alice.invite(rooms.english, person.user_id)
        await person.join(rooms.english)
        yield person
        with contextlib.suppress(Exception):
            await person.leave(rooms.english)


def bot_user(bot: BotRunner) -> str:
    assert bot.app is not None
    return bot.app.config.matrix.user_id


async def vote_in_own_chat(bot: BotRunner, person: Person, command: str) -> None:
    """The person invites the bot to a direct chat, gets the ballot there, and votes by text."""
    mark = person.mark()
    chat = await person.create_room(invite=[bot_user(bot)], is_direct=True)
    await person.wait_for(poll_start(chat), since=mark)
    voted = await person.send_text(chat, command)
    await person.wait_for(reaction_to(voted), since=mark)


async def test_beto_alone_in_mexico_sees_his_center_withheld_in_both_rooms(
    bot: BotRunner,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    carol: Person,
    erin: Person,
) -> None:
    # A round trip through the bot: it has seen erin join before the poll is opened.
    asked = await erin.send_text(rooms.english, "!help")
    await erin.wait_for(reply_to(asked))
    marks = {person: person.mark() for person in (carol, beto)}
    await carol.send_text(rooms.english, '!poll secret "Do we approve the budget?"')
    english = body_of(await carol.wait_for(notice(rooms.english, "started by"), since=marks[carol]))
    spanish = body_of(await beto.wait_for(notice(rooms.spanish, "iniciada por"), since=marks[beto]))
    # The Spanish room has two members, fewer than the floor; the English room has three.
    assert "Fewer than 3 members in MX:" in english and "only the total" in english
    assert "Menos de 3 miembros en MX:" in spanish and "solo el total" in spanish

    for person, command in (
        (alice, "!vote yes"),
        (carol, "!vote no"),
        (erin, "!vote yes"),
        (beto, "!votar si"),
    ):
        await vote_in_own_chat(bot, person, command)
    english_turnout = await turnout(alice, rooms.english, "!results")
    spanish_turnout = await turnout(beto, rooms.spanish, "!resultados")
    assert "4 have voted so far (US withheld, MX withheld)" in english_turnout
    assert "Han votado 4 hasta ahora (US reservado, MX reservado)" in spanish_turnout

    english_result, spanish_result = await close(
        carol, rooms, (alice, rooms.english), (beto, rooms.spanish)
    )
    assert "Outcome: PASSED." in english_result
    assert "All centers: Yes 3, No 1, Abstain 0" in english_result
    assert "MX: withheld to keep the vote secret." in english_result
    assert "US: withheld to keep the vote secret." in english_result
    assert "Todos los centros: Sí 3, No 1, Abstención 0" in spanish_result
    assert "MX: se reserva para mantener el voto secreto." in spanish_result
    assert "US: se reserva para mantener el voto secreto." in spanish_result
    for text in (english_result, spanish_result):
        assert "MX: Yes" not in text and "MX: Sí" not in text
        assert "US: Yes" not in text and "US: Sí" not in text
