"""A member on matrix-js-sdk with its Rust crypto (Element's stack) talks with a nio client.

No bot here: this shows the harness itself works, with encryption, on the suite's homeserver.
alice (nio, encrypted) creates an encrypted room and invites dani, whose client is the js SDK;
dani joins when the test says so, and each reads what the other sends.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.devserver import LocalSynapse, RegisteredAccount
from tests.conftest import PERSON_PASSWORD
from tests.harness.encrypted_person import EncryptedPerson
from tests.harness.js_member import JsMember, SeenEvent
from tests.harness.person import Person, body_of, content_of, type_of
from tests.integration.conftest import joined

START = "org.matrix.msc3381.poll.start"
RESPONSE = "org.matrix.msc3381.poll.response"
TEXT = "org.matrix.msc1767.text"

Accounts = dict[str, RegisteredAccount]


@pytest.fixture
async def alice(
    synapse: LocalSynapse, accounts: Accounts, tmp_path: Path
) -> AsyncIterator[EncryptedPerson]:
    person = EncryptedPerson(synapse.base_url, accounts["alice"], PERSON_PASSWORD, tmp_path)
    await person.start()
    try:
        yield person
    finally:
        await person.stop()


@pytest.fixture
async def dani(synapse: LocalSynapse, accounts: Accounts) -> AsyncIterator[JsMember]:
    member = JsMember(synapse.base_url, accounts["dani"])
    await member.start()
    try:
        yield member
    finally:
        await member.stop()


@pytest.fixture
async def room(alice: EncryptedPerson, dani: JsMember) -> AsyncIterator[str]:
    """An encrypted room of alice's that dani was invited to and joined."""
    room_id = await alice.create_encrypted_room("Proof room", invite=[dani.user_id])
    assert await dani.wait_for_invite(room_id) == room_id
    await dani.join(room_id)
    await alice.wait_for(lambda r, e: r == room_id and joined(e, dani.user_id))
    yield room_id
    # Leave, so that later tests' first syncs don't carry this room around.
    for member in (alice, dani):
        with contextlib.suppress(Exception):
            await member.leave(room_id)


async def devices_of(synapse: LocalSynapse, account: RegisteredAccount) -> set[str]:
    """The account's devices, as the server lists them."""
    person = Person(synapse.base_url, account)
    try:
        response = await person.client.devices()
        return {device.id for device in response.devices}
    finally:
        await person.client.close()


def readable(event: SeenEvent) -> bool:
    """Sent encrypted, and decrypted by the js client."""
    return event.encrypted and event.decryption_failure is None


async def test_the_js_member_reads_what_alice_sends_encrypted(
    alice: EncryptedPerson, dani: JsMember, room: str
) -> None:
    await alice.send_text(room, "Welcome, Dani")

    seen = await dani.wait_for(lambda r, e: r == room and body_of(e) == "Welcome, Dani")
    assert readable(seen)
    assert type_of(seen) == "m.room.message"
    assert seen.source["sender"] == alice.user_id


async def test_alice_reads_the_js_members_message_and_native_poll_response(
    alice: EncryptedPerson, dani: JsMember, room: str
) -> None:
    said = await dani.send_text(room, "Thanks, Alice")
    message = await alice.wait_for_text(room, "Thanks, Alice", sender=dani.user_id)
    assert message.event_id == said
    assert getattr(message, "decrypted", False)

    poll = await alice.send_content(
        room,
        START,
        {
            START: {
                "question": {TEXT: "Lunch at noon?"},
                "kind": "org.matrix.msc3381.poll.disclosed",
                "max_selections": 1,
                "answers": [{"id": "yes", TEXT: "Yes"}, {"id": "no", TEXT: "No"}],
            },
            TEXT: "Lunch at noon?\n1. Yes\n2. No",
        },
    )
    start = await dani.wait_for(lambda r, e: r == room and type_of(e) == START)
    assert readable(start) and start.source["event_id"] == poll

    voted = await dani.respond(room, poll, ["yes"])
    vote = await alice.wait_for(lambda r, e: r == room and type_of(e) == RESPONSE)
    assert getattr(vote, "decrypted", False)
    assert vote.source["event_id"] == voted
    assert content_of(vote) == {
        RESPONSE: {"answers": ["yes"]},
        "m.relates_to": {"rel_type": "m.reference", "event_id": poll},
    }


async def test_a_message_whose_key_comes_late_is_unreadable_then_readable(
    alice: EncryptedPerson, dani: JsMember, room: str
) -> None:
    said, key = await alice.send_text_withholding_key(room, "The key comes later")
    locked = await dani.wait_for(lambda r, e: e.source.get("event_id") == said)
    assert locked.encrypted and locked.decryption_failure == "MEGOLM_UNKNOWN_INBOUND_SESSION_ID"

    await alice.share_room_key(key, dani.user_id)
    opened = await dani.wait_for(lambda r, e: body_of(e) == "The key comes later")
    assert opened.source["event_id"] == said and readable(opened)


async def test_the_js_member_has_a_device_of_its_own_until_it_stops(
    synapse: LocalSynapse, accounts: Accounts
) -> None:
    member = JsMember(synapse.base_url, accounts["dani"])
    await member.start()
    try:
        assert member.device_id not in ("", accounts["dani"].device_id)
        assert member.device_id in await devices_of(synapse, accounts["dani"])
    finally:
        await member.stop()
    # Logged out: later tests' clients never encrypt for this device.
    assert member.device_id not in await devices_of(synapse, accounts["dani"])
