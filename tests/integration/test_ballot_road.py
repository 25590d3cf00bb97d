"""Secret ballots the way members reach them: `!ballot` / `!papeleta` in an assembly room, the
direct chat the bot opens, the native ballot answered there, and `!close` counting every vote.

Run twice: with the default `matrix.encryption = true`, encrypted assembly rooms and members
whose clients really encrypt (nio with its e2e extra, as the bot itself); and with encryption
off and plain clients, since an assembly may run that way too. The bot's long-poll is as long
as in production: a chat must come in by sync without waiting for an idle sync to end.

alice and carol sit in the English room (center US), beto and dani in the Spanish room (MX);
carol chairs.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli.devserver import LocalSynapse, RegisteredAccount, free_port
from tests.conftest import BOT_LOCALPART, PERSON_PASSWORD
from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.encrypted_person import EncryptedPerson, running_encrypted
from tests.harness.person import Person, body_of, content_of, type_of
from tests.integration.conftest import joined
from tests.integration.test_encryption import ENCRYPTION_TUNING
from tests.integration.test_polls import (
    START,
    close,
    notice,
    poll_start,
    reaction_to,
    reply_to,
    respond,
)
from tests.integration.test_secret_ballot import open_secret_poll

Accounts = dict[str, RegisteredAccount]

BALLOT_ROAD_SECONDS = 30.0


@pytest.fixture(params=["encrypted", "plain"])
def encryption(request: pytest.FixtureRequest) -> bool:
    return request.param == "encrypted"


async def _member(
    synapse: LocalSynapse, account: RegisteredAccount, store: Path, encrypted: bool
) -> AsyncIterator[Person]:
    if encrypted:
        async for person in running_encrypted(synapse.base_url, account, PERSON_PASSWORD, store):
            yield person
        return
    async with Person(synapse.base_url, account) as plain:
        yield plain


def member(name: str):
    """The member `name`, encrypting or not as the run's `encryption` says."""

    @pytest.fixture(name=name)
    async def fixture(synapse, accounts: Accounts, tmp_path: Path, encryption: bool):
        async for person in _member(synapse, accounts[name], tmp_path / name, encryption):
            yield person

    return fixture


alice, beto, carol, dani = (member(name) for name in ("alice", "beto", "carol", "dani"))


@pytest.fixture
async def rooms(
    accounts: Accounts, alice: Person, beto: Person, carol: Person, dani: Person, encryption: bool
) -> AsyncIterator[RoomPair]:
    bot_id = accounts[BOT_LOCALPART].user_id

    async def make(owner: Person, name: str, guest: Person) -> str:
        if isinstance(owner, EncryptedPerson) and encryption:
            room = await owner.create_encrypted_room(name, invite=[bot_id, guest.user_id])
        else:
            room = await owner.create_room(name, invite=[bot_id, guest.user_id])
        await guest.join(room)
        return room

    english = await make(alice, "Assembly (EN)", carol)
    spanish = await make(beto, "Asamblea (ES)", dani)
    yield RoomPair(english=english, spanish=spanish)
    for person, room in ((alice, english), (carol, english), (beto, spanish), (dani, spanish)):
        with contextlib.suppress(Exception):
            await person.leave(room)


@pytest.fixture
def board_port() -> int:
    return free_port()


@pytest.fixture
def bot_config(bot_config: Path, encryption: bool, board_port: int) -> Path:
    # The meeting board on, for the link that comes in a direct chat.
    text = bot_config.read_text(encoding="utf-8")
    text += f'\n[board]\nlisten = "127.0.0.1:{board_port}"\n'
    if not encryption:
        # The plain run: an assembly whose operator turned encryption off.
        text = text.replace("[matrix]\n", "[matrix]\nencryption = false\n", 1)
    bot_config.write_text(text, encoding="utf-8")
    return bot_config


@pytest.fixture
async def bot(
    bot_config: Path, rooms: RoomPair, alice: Person, beto: Person, accounts: Accounts
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


# -- what the tests do ---------------------------------------------------------------------------


async def ask_for_ballot(person: Any, room_id: str, command: str) -> tuple[str, str]:
    """The member (on nio or on the js SDK) asks in their room, joins the chat the bot invites
    them to, and waits for the ballot there: the chat's id and the ballot's event id."""
    mark = person.mark()
    asked = await person.send_text(room_id, command)
    await person.wait_for(reply_to(asked), since=mark)
    chat = await person.wait_for_invite(since=mark)
    await person.join(chat)
    ballot = await person.wait_for(poll_start(chat), since=mark)
    return chat, ballot.source["event_id"]


def from_the_bot(bot_user: str):
    def match(room_id: str, event: Any) -> bool:
        return event.source.get("sender") == bot_user and "state_key" not in event.source

    return match


def sealed(event: Any) -> bool:
    """Sent as m.room.encrypted: nio marks what it decrypted."""
    return bool(getattr(event, "decrypted", False))


# -- the tests -------------------------------------------------------------------------------------


async def test_three_members_ask_for_ballots_at_once_and_close_counts_all_three(
    bot: BotRunner,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    carol: Person,
    dani: Person,
    encryption: bool,
) -> None:
    assert bot.app is not None
    assert bot.app.config.matrix.encryption.enabled is encryption
    began = time.monotonic()
    await open_secret_poll(carol, rooms, '!poll secret "Do we approve the budget?"', beto, dani)

    (
        (alice_chat, alice_ballot),
        (beto_chat, beto_ballot),
        (dani_chat, _),
    ) = await asyncio.gather(
        ask_for_ballot(alice, rooms.english, "!ballot"),
        ask_for_ballot(beto, rooms.spanish, "!papeleta"),
        ask_for_ballot(dani, rooms.spanish, "!ballot"),
    )
    assert len({alice_chat, beto_chat, dani_chat}) == 3
    [spanish_ballot] = [e for _, e in beto.events if e.source.get("event_id") == beto_ballot]
    assert [a["org.matrix.msc1767.text"] for a in content_of(spanish_ballot)[START]["answers"]] == [
        "Sí",
        "No",
        "Abstención",
    ]

    await respond(alice, alice_chat, alice_ballot, ["yes"])
    await respond(beto, beto_chat, beto_ballot, ["yes"])
    # dani votes by command: the bot's ✅ is an event it sends into the chat too.
    voted = await dani.send_text(dani_chat, "!votar no")
    await dani.wait_for(reaction_to(voted))
    [result] = await close(carol, rooms, (carol, rooms.english))
    assert "All centers: Yes 2, No 1" in result, result
    # Two members in each center, fewer than the floor of three: no center's count is told.
    assert "US: withheld to keep the vote secret." in result, result
    assert "MX: withheld to keep the vote secret." in result, result
    assert "US: Yes" not in result and "MX: Yes" not in result
    assert time.monotonic() - began < BALLOT_ROAD_SECONDS

    if encryption:
        bot_user = bot.app.config.matrix.user_id
        for person, places in (
            (alice, (rooms.english, alice_chat)),
            (beto, (rooms.spanish, beto_chat)),
            (dani, (rooms.spanish, dani_chat)),
            (carol, (rooms.english,)),
        ):
            for place in places:
                sent = await person.events_in(place, from_the_bot(bot_user))
                assert sent, (person, place)
                clear = [f"{type_of(e)} {body_of(e)!r}" for e in sent if not sealed(e)]
                assert not clear, (person, place, clear)


async def test_asking_for_a_ballot_twice_gives_one_ballot(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    await open_secret_poll(carol, rooms, '!poll secret "Do we approve the budget?"', beto)
    chat, _ = await ask_for_ballot(beto, rooms.spanish, "!papeleta")
    mark = beto.mark()
    again = await beto.send_text(rooms.spanish, "!papeleta")
    answer = body_of(await beto.wait_for(reply_to(again), since=mark))
    assert "chat directo" in answer, answer
    # A round trip in the chat shows the bot has done all it was going to do there.
    asked = await beto.send_text(chat, "!ayuda")
    await beto.wait_for(reply_to(asked), since=mark)
    assert beto.count(chat, poll_start(chat)) == 1


# -- who may hold a ballot chat --------------------------------------------------------------


def membership_of(user_id: str, membership: str):
    def match(room_id: str, event: Any) -> bool:
        return (
            type_of(event) == "m.room.member"
            and event.source.get("state_key") == user_id
            and content_of(event).get("membership") == membership
        )

    return match


async def round_trip(person: Person, room_id: str, command: str = "!help") -> None:
    """An answer from the bot shows it has handled everything sent before the command."""
    mark = person.mark()
    asked = await person.send_text(room_id, command)
    await person.wait_for(reply_to(asked), since=mark)


@pytest.fixture
async def erin(
    synapse: LocalSynapse, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[EncryptedPerson]:
    """Someone new: a fresh account per test."""
    name = f"erin-{request.node.name.split('[')[0][-20:]}-{int(time.time() * 1000) % 100000}"
    account = synapse.register(name.replace("_", "-"), PERSON_PASSWORD, displayname="Erin")
    person = EncryptedPerson(synapse.base_url, account, PERSON_PASSWORD, tmp_path / "erin")
    await person.start()
    try:
        yield person
    finally:
        await person.stop()


@pytest.mark.parametrize("encryption", [True])
async def test_someone_only_invited_to_an_assembly_room_gets_no_ballot_chat(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, erin: Person
) -> None:
    assert bot.app is not None
    bot_user = bot.app.config.matrix.user_id
    await alice.invite(rooms.english, erin.user_id)  # invited, never joins
    await open_secret_poll(carol, rooms, '!poll secret "Do we approve the budget?"', beto)
    chat = await erin.create_room(invite=[bot_user], is_direct=True)
    await round_trip(alice, rooms.english)
    await erin.next_sync()
    assert erin.count(chat, membership_of(bot_user, "join")) == 0
    assert erin.count(chat, poll_start(chat)) == 0
    [result] = await close(carol, rooms, (carol, rooms.english))
    assert "0 have voted" in result or "No votes" in result or "All centers: Yes 0" in result, (
        result
    )


@pytest.mark.parametrize("encryption", [True])
async def test_a_group_room_flagged_direct_is_refused_with_the_reason(
    bot: BotRunner, rooms: RoomPair, beto: Person, carol: Person, dani: Person
) -> None:
    assert bot.app is not None
    bot_user = bot.app.config.matrix.user_id
    await open_secret_poll(carol, rooms, '!poll secret "Do we approve the budget?"', beto, dani)
    mark = dani.mark()
    group = await dani.create_room(invite=[bot_user, beto.user_id], is_direct=True)
    left = await dani.wait_for(membership_of(bot_user, "leave"), since=mark)
    assert "Solo recibo papeletas" in content_of(left).get("reason", ""), content_of(left)
    assert dani.count(group, poll_start(group), since=mark) == 0


@pytest.mark.parametrize("encryption", [True])
async def test_a_ballot_chat_someone_else_comes_into_is_given_up_and_a_new_one_opened(
    bot: BotRunner, rooms: RoomPair, beto: Person, carol: Person, dani: Person
) -> None:
    assert bot.app is not None
    bot_user = bot.app.config.matrix.user_id
    await open_secret_poll(carol, rooms, '!poll secret "Do we approve the budget?"', beto, dani)
    mark = dani.mark()
    chat = await dani.create_room(invite=[bot_user], is_direct=True)
    ballot = await dani.wait_for(poll_start(chat), since=mark)
    await dani.invite(chat, beto.user_id)
    said = await dani.wait_for(notice(chat, "alguien más"), since=mark)
    assert "!papeleta" in body_of(said)
    # A vote from the crowded chat does not count; !papeleta opens a new, private chat.
    await respond(dani, chat, ballot.source["event_id"], ["yes"])
    new_chat, new_ballot = await ask_for_ballot(dani, rooms.spanish, "!papeleta")
    assert new_chat != chat
    await respond(dani, new_chat, new_ballot, ["no"])
    [result] = await close(carol, rooms, (carol, rooms.english))
    assert "All centers: Yes 0, No 1" in result, result


@pytest.mark.parametrize("encryption", [True])
async def test_more_direct_chats_from_one_person_are_declined_with_a_short_answer(
    bot: BotRunner, rooms: RoomPair, beto: Person, carol: Person, dani: Person
) -> None:
    assert bot.app is not None
    bot_user = bot.app.config.matrix.user_id
    await open_secret_poll(carol, rooms, '!poll secret "Do we approve the budget?"', beto, dani)
    first, _ = await ask_for_ballot(dani, rooms.spanish, "!papeleta")
    mark = dani.mark()
    extra = [await dani.create_room(invite=[bot_user], is_direct=True) for _ in range(3)]
    for room in extra:
        left = await dani.wait_for(
            lambda r, e, room=room: r == room and membership_of(bot_user, "leave")(r, e),
            since=mark,
        )
        assert "Ya tenemos un chat directo" in content_of(left).get("reason", "")
        assert dani.count(room, poll_start(room), since=mark) == 0
    assert dani.count(first, poll_start(first)) == 1


@pytest.mark.parametrize("encryption", [True])
async def test_a_ballot_chat_its_person_left_is_given_up_and_the_next_ballot_opens_a_new_one(
    bot: BotRunner, rooms: RoomPair, beto: Person, carol: Person, dani: Person
) -> None:
    assert bot.app is not None
    bot_user = bot.app.config.matrix.user_id
    await open_secret_poll(carol, rooms, '!poll secret "Do we approve the budget?"', beto, dani)
    first, _ = await ask_for_ballot(dani, rooms.spanish, "!papeleta")
    mark = dani.mark()
    await dani.leave(first)
    await round_trip(dani, rooms.spanish, "!ayuda")  # the bot has seen her leave by now
    second, ballot = await ask_for_ballot(dani, rooms.spanish, "!papeleta")
    assert second != first
    await respond(dani, second, ballot, ["no"])
    [result] = await close(carol, rooms, (carol, rooms.english))
    assert "All centers: Yes 0, No 1" in result, result
    assert dani.count(first, membership_of(bot_user, "join"), since=mark) == 0


async def test_the_board_link_comes_in_its_own_chat_and_opens_the_board(
    bot: BotRunner, rooms: RoomPair, carol: Person, encryption: bool
) -> None:
    """`!board` as a chair asks for it: the link comes in a direct chat (encrypted when the
    bot encrypts), and opens the board."""
    assert bot.app is not None
    mark = carol.mark()
    await carol.send_text(rooms.english, "!board")
    chat = await carol.wait_for_invite(since=mark)
    await carol.join(chat)
    said = await carol.wait_for_text(chat, "/board/", since=mark)
    found = re.search(r"http://127\.0\.0\.1:\d+/board/[A-Za-z0-9_-]+/", body_of(said) or "")
    assert found, body_of(said)
    async with aiohttp.ClientSession() as session, session.get(found.group(0)) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
    if encryption:
        sent = await carol.events_in(chat, from_the_bot(bot.app.config.matrix.user_id))
        clear = [f"{type_of(e)} {body_of(e)!r}" for e in sent if not sealed(e)]
        assert sent and not clear, clear
