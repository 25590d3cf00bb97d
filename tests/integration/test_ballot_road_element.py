"""The secret-ballot road with Element's own stack: dani's client is matrix-js-sdk with its Rust
crypto. She asks `!papeleta` in the encrypted Spanish room, joins the encrypted chat the bot
opens, reads the ballot and answers it as Element does; alice (nio, encrypting) does the same
from the English room at the same moment, and carol's `!close` counts both votes.

The bot runs with its defaults (`matrix.encryption = true`) and the production long-poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.devserver import LocalSynapse, RegisteredAccount
from tests.conftest import BOT_LOCALPART, PERSON_PASSWORD
from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.encrypted_person import EncryptedPerson, running_encrypted
from tests.harness.js_member import JsMember, require_js_client
from tests.harness.person import body_of, content_of, type_of
from tests.integration.conftest import joined
from tests.integration.test_ballot_road import ask_for_ballot, open_secret_poll, sealed
from tests.integration.test_encryption import ENCRYPTION_TUNING
from tests.integration.test_polls import START, close, respond

Accounts = dict[str, RegisteredAccount]


def member(name: str):
    @pytest.fixture(name=name)
    async def fixture(synapse: LocalSynapse, accounts: Accounts, tmp_path: Path):
        store = tmp_path / name
        async for person in running_encrypted(
            synapse.base_url, accounts[name], PERSON_PASSWORD, store
        ):
            yield person

    return fixture


alice, beto, carol = (member(name) for name in ("alice", "beto", "carol"))


@pytest.fixture
async def dani(synapse: LocalSynapse, accounts: Accounts) -> AsyncIterator[JsMember]:
    require_js_client()
    member = JsMember(synapse.base_url, accounts["dani"])
    await member.start()
    try:
        yield member
    finally:
        await member.stop()


@pytest.fixture
async def rooms(
    accounts: Accounts,
    alice: EncryptedPerson,
    beto: EncryptedPerson,
    carol: EncryptedPerson,
    dani: JsMember,
) -> AsyncIterator[RoomPair]:
    bot_id = accounts[BOT_LOCALPART].user_id
    english = await alice.create_encrypted_room("Assembly (EN)", invite=[bot_id, carol.user_id])
    await carol.join(english)
    spanish = await beto.create_encrypted_room("Asamblea (ES)", invite=[bot_id, dani.user_id])
    await dani.wait_for_invite(spanish)
    await dani.join(spanish)
    yield RoomPair(english=english, spanish=spanish)
    for person, room in ((alice, english), (carol, english), (beto, spanish), (dani, spanish)):
        with contextlib.suppress(Exception):
            await person.leave(room)


@pytest.fixture
async def bot(
    bot_config: Path, rooms: RoomPair, alice: EncryptedPerson, beto: EncryptedPerson, accounts
) -> AsyncIterator[BotRunner]:
    bot_id = accounts[BOT_LOCALPART].user_id
    runner = BotRunner(bot_config, ENCRYPTION_TUNING)
    await runner.start()
    try:
        for person, room in ((alice, rooms.english), (beto, rooms.spanish)):
            await person.wait_for(lambda r, e, room=room: r == room and joined(e, bot_id))
        yield runner
    finally:
        await runner.stop()


async def test_a_member_on_element_s_stack_gets_and_answers_the_ballot_and_it_counts(
    bot: BotRunner,
    rooms: RoomPair,
    alice: EncryptedPerson,
    beto: EncryptedPerson,
    carol: EncryptedPerson,
    dani: JsMember,
) -> None:
    assert bot.app is not None and bot.app.config.matrix.encryption.enabled
    bot_user = bot.app.config.matrix.user_id
    await open_secret_poll(carol, rooms, '!poll secret "Do we approve the budget?"', beto)

    (dani_chat, dani_ballot_id), (alice_chat, alice_ballot) = await asyncio.gather(
        ask_for_ballot(dani, rooms.spanish, "!papeleta"),
        ask_for_ballot(alice, rooms.english, "!ballot"),
    )
    [dani_ballot] = [e for _, e in dani.events if e.source.get("event_id") == dani_ballot_id]
    assert dani_ballot.encrypted and dani_ballot.decryption_failure is None
    answers = [a["org.matrix.msc1767.text"] for a in content_of(dani_ballot)[START]["answers"]]
    assert answers == ["Sí", "No", "Abstención"]

    await dani.respond(dani_chat, dani_ballot.source["event_id"], ["no"])
    await respond(alice, alice_chat, alice_ballot, ["yes"])
    [result] = await close(carol, rooms, (carol, rooms.english))
    assert "All centers: Yes 1, No 1" in result, result

    # Everything dani's client got from the bot, in the room and in the chat, was encrypted.
    from_bot = [
        (room, event)
        for room, event in dani.events
        if event.source.get("sender") == bot_user and "state_key" not in event.source
    ]
    assert {room for room, _ in from_bot} >= {rooms.spanish, dani_chat}
    clear = [f"{type_of(e)} {body_of(e)!r}" for _, e in from_bot if not e.encrypted]
    assert not clear, clear
    assert all(e.decryption_failure is None for _, e in from_bot)
    assert all(
        sealed(e)
        for r, e in alice.events
        if r == alice_chat and "state_key" not in e.source and e.source.get("sender") == bot_user
    )
