"""Encrypted rooms on a real homeserver, with test clients that encrypt as Element does.

alice sits in the English room and chairs; beto sits in the Spanish room. Both rooms are
encrypted from their creation unless a test says otherwise; the bot joins on invitation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from nio import DownloadResponse
from nio.crypto.attachments import decrypt_attachment

from bot.app import Tuning
from bot.cli.devserver import LocalSynapse, RegisteredAccount
from bot.matrix.encryption import RetryTiming
from tests.conftest import BOT_LOCALPART, BOT_PASSWORD, PERSON_PASSWORD
from tests.harness.bot_runner import TEST_TUNING, BotRunner, RoomPair, write_config
from tests.harness.encrypted_person import EncryptedPerson, running_encrypted
from tests.harness.libretranslate import FakeLibreTranslate
from tests.harness.matchers import copy_of, edit_of, reaction_to, replies_to
from tests.harness.person import Person, body_of, content_of, type_of
from tests.integration.conftest import joined

START = "org.matrix.msc3381.poll.start"
RESPONSE = "org.matrix.msc3381.poll.response"
TEXT = "org.matrix.msc1767.text"
UNREADABLE_EN = "🔒 can't read this yet"

# Unreadable messages get their reaction after a second instead of ten.
# The bot's idle long-poll is as long as in production: the "can't read this yet" reaction must
# come at its own delay, not when an idle sync happens to end.
ENCRYPTION_TUNING: Tuning = replace(
    TEST_TUNING, sync_timeout_ms=30_000, crypto=RetryTiming(react_after_seconds=1.0)
)

Accounts = dict[str, RegisteredAccount]


# -- fixtures -------------------------------------------------------------------------------------


async def _encrypted_person(
    synapse: LocalSynapse, account: RegisteredAccount, store: Path
) -> AsyncIterator[EncryptedPerson]:
    async for person in running_encrypted(synapse.base_url, account, PERSON_PASSWORD, store):
        yield person


@pytest.fixture
async def alice(
    synapse: LocalSynapse, accounts: Accounts, tmp_path: Path
) -> AsyncIterator[EncryptedPerson]:
    async for person in _encrypted_person(synapse, accounts["alice"], tmp_path / "alice-keys"):
        yield person


@pytest.fixture
async def beto(
    synapse: LocalSynapse, accounts: Accounts, tmp_path: Path
) -> AsyncIterator[EncryptedPerson]:
    async for person in _encrypted_person(synapse, accounts["beto"], tmp_path / "beto-keys"):
        yield person


@pytest.fixture
async def rooms(
    accounts: Accounts, alice: EncryptedPerson, beto: EncryptedPerson
) -> AsyncIterator[RoomPair]:
    bot_id = accounts[BOT_LOCALPART].user_id
    english = await alice.create_encrypted_room("Assembly (EN, encrypted)", invite=[bot_id])
    spanish = await beto.create_encrypted_room("Asamblea (ES, cifrada)", invite=[bot_id])
    yield RoomPair(english=english, spanish=spanish)
    await leave_all((alice, english), (beto, spanish))


async def leave_all(*memberships: tuple[Person, str]) -> None:
    """Leave, so that later tests' first syncs don't carry this test's rooms around."""
    for person, room in memberships:
        with contextlib.suppress(Exception):
            await person.leave(room)


def configure(
    tmp_path: Path,
    synapse: LocalSynapse,
    accounts: Accounts,
    rooms: RoomPair,
    chair: str,
    translator: FakeLibreTranslate,
    assembly_extra: str = "",
) -> Path:
    return write_config(
        tmp_path / "config.toml",
        homeserver=synapse.base_url,
        bot_user_id=accounts[BOT_LOCALPART].user_id,
        bot_password=BOT_PASSWORD,
        rooms=rooms,
        chairs=[chair],
        translation=f'provider = "libre"\nurl = "{translator.url}"\ntimeout_seconds = 2',
        assembly_extra=assembly_extra,
    )


async def start_bot(
    config: Path, rooms: RoomPair, english: Person, spanish: Person, bot_id: str
) -> BotRunner:
    """The bot, running, joined to both rooms, and seen joining by the people there."""
    runner = BotRunner(config, ENCRYPTION_TUNING)
    await runner.start()
    for person, room in ((english, rooms.english), (spanish, rooms.spanish)):
        await person.wait_for(lambda r, e, room=room: r == room and joined(e, bot_id))
    return runner


@pytest.fixture
async def bot(
    tmp_path: Path,
    synapse: LocalSynapse,
    accounts: Accounts,
    rooms: RoomPair,
    alice: EncryptedPerson,
    beto: EncryptedPerson,
    translator: FakeLibreTranslate,
) -> AsyncIterator[BotRunner]:
    config = configure(tmp_path, synapse, accounts, rooms, alice.user_id, translator)
    runner = await start_bot(config, rooms, alice, beto, accounts[BOT_LOCALPART].user_id)
    try:
        yield runner
    finally:
        await runner.stop()


# -- what the tests look for ----------------------------------------------------------------------


def decrypted(event: Any) -> bool:
    """Sent encrypted, and readable by this person."""
    return bool(getattr(event, "decrypted", False))


def redaction_of(event_id: str) -> Callable[[str, Any], bool]:
    def match(event_room: str, event: Any) -> bool:
        redacted = event.source.get("redacts") or content_of(event).get("redacts")
        return type_of(event) == "m.room.redaction" and redacted == event_id

    return match


def poll_start(room_id: str) -> Callable[[str, Any], bool]:
    def match(event_room: str, event: Any) -> bool:
        return event_room == room_id and type_of(event) == START

    return match


def notice(room_id: str, contains: str) -> Callable[[str, Any], bool]:
    def match(event_room: str, event: Any) -> bool:
        return event_room == room_id and contains in (body_of(event) or "")

    return match


async def logged(caplog: pytest.LogCaptureFixture, words: str, timeout: float = 15.0) -> str:
    """Wait until the bot logs a line containing `words`."""

    async def scan() -> str:
        while True:
            for record in caplog.records:
                if words in record.getMessage():
                    return record.getMessage()
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(scan(), timeout)


# -- the tests ------------------------------------------------------------------------------------


async def test_help_and_ayuda_are_answered_encrypted(
    bot: BotRunner, rooms: RoomPair, alice: EncryptedPerson, beto: EncryptedPerson
) -> None:
    asked = await alice.send_text(rooms.english, "!help")
    answer = await alice.wait_for(replies_to(asked))
    assert "Asamblea commands" in body_of(answer)
    assert decrypted(answer)

    asked = await beto.send_text(rooms.spanish, "!ayuda")
    answer = await beto.wait_for(replies_to(asked))
    assert "Comandos de Asamblea" in body_of(answer)
    assert decrypted(answer)


async def test_alice_is_mirrored_translated_and_encrypted_and_edits_and_replies_follow(
    bot: BotRunner, rooms: RoomPair, alice: EncryptedPerson, beto: EncryptedPerson
) -> None:
    said = await alice.send_text(rooms.english, "hello everyone")
    copy = await beto.wait_for(copy_of(said, rooms.spanish))
    assert decrypted(copy)
    assert body_of(copy).startswith("Alice (US) [traducción automática]: hola todos")

    answer = await beto.send_text(
        rooms.spanish, "gracias", **{"m.relates_to": {"m.in_reply_to": {"event_id": copy.event_id}}}
    )
    mirrored = await alice.wait_for(copy_of(answer, rooms.english))
    assert decrypted(mirrored)
    assert body_of(mirrored).startswith("Beto (MX) [machine translation]: thank you")
    assert content_of(mirrored)["m.relates_to"]["m.in_reply_to"]["event_id"] == said

    await alice.edit(rooms.english, said, "goodbye world")
    edit = await beto.wait_for(edit_of(copy.event_id))
    assert decrypted(edit)
    assert "adiós mundo" in content_of(edit)["m.new_content"]["body"]


async def test_the_bot_still_decrypts_after_a_restart_and_answers_what_came_meanwhile(
    bot: BotRunner, rooms: RoomPair, alice: EncryptedPerson, beto: EncryptedPerson
) -> None:
    assert bot.app is not None
    device = bot.app.client.device_id
    said = await alice.send_text(rooms.english, "hello")
    await beto.wait_for(copy_of(said, rooms.spanish))

    await bot.stop()
    asked = await alice.send_text(rooms.english, "!status")
    meanwhile = await beto.send_text(rooms.spanish, "hola")
    app = await bot.start()
    assert app.client.device_id == device  # the same session, with the same keys

    answer = await alice.wait_for(replies_to(asked))
    assert decrypted(answer) and "Asamblea de prueba" in body_of(answer)
    copy = await alice.wait_for(copy_of(meanwhile, rooms.english))
    assert decrypted(copy) and "hello" in body_of(copy)

    # A session made after the restart reads too.
    later = await alice.send_text(rooms.english, "hello world")
    assert "hola mundo" in body_of(await beto.wait_for(copy_of(later, rooms.spanish)))
    assert alice.count(rooms.english, replies_to(asked)) == 1


async def test_a_poll_in_encrypted_rooms_is_voted_natively_from_both(
    bot: BotRunner, rooms: RoomPair, alice: EncryptedPerson, beto: EncryptedPerson
) -> None:
    mark = beto.mark()
    await alice.send_text(rooms.english, '!poll "Do we approve the budget?"')
    english = await alice.wait_for(poll_start(rooms.english))
    spanish = await beto.wait_for(poll_start(rooms.spanish), since=mark)
    assert decrypted(english) and decrypted(spanish)
    assert content_of(spanish)[START]["question"][TEXT]

    for person, room, start in (
        (alice, rooms.english, english.event_id),
        (beto, rooms.spanish, spanish.event_id),
    ):
        # A vote as Element sends it in an encrypted room: the whole event encrypted.
        await person.send_content(
            room,
            RESPONSE,
            {
                "m.relates_to": {"rel_type": "m.reference", "event_id": start},
                RESPONSE: {"answers": ["yes"]},
            },
        )
    asked = await beto.send_text(rooms.spanish, "!resultados")
    assert "Han votado 2" in body_of(await beto.wait_for(replies_to(asked)))

    mark = alice.mark()
    await alice.send_text(rooms.english, "!close")
    result = await alice.wait_for(notice(rooms.english, "Outcome:"), since=mark)
    assert "Outcome: PASSED." in body_of(result)
    assert decrypted(result)


async def test_a_message_whose_key_comes_late_gets_a_reaction_then_is_handled_once(
    bot: BotRunner, rooms: RoomPair, alice: EncryptedPerson, beto: EncryptedPerson
) -> None:
    assert bot.app is not None and bot.app.crypto is not None
    bot_id = bot.app.config.matrix.user_id
    said, said_key = await alice.send_text_withholding_key(rooms.english, "hello world")
    asked, asked_key = await alice.send_text_withholding_key(rooms.english, "!status")

    # Well within the 30 s long-poll: the reaction keeps its own time.
    flag = await alice.wait_for(reaction_to(said, UNREADABLE_EN), timeout=8)
    await alice.wait_for(reaction_to(asked, UNREADABLE_EN), timeout=8)
    assert flag.source["sender"] == bot_id
    assert set(await bot.app.crypto.pending_event_ids()) == {said, asked}

    # The keys arrive at last: the message is mirrored, the command answered, the flags withdrawn.
    await alice.share_room_key(said_key, bot_id)
    await alice.share_room_key(asked_key, bot_id)
    copy = await beto.wait_for(copy_of(said, rooms.spanish))
    assert "hola mundo" in body_of(copy)
    answer = await alice.wait_for(replies_to(asked))
    assert "Asamblea de prueba" in body_of(answer)
    await alice.wait_for(redaction_of(flag.event_id))
    assert await bot.app.crypto.pending_event_ids() == []

    # Once: a restart and a later command change nothing.
    await bot.restart()
    later = await alice.send_text(rooms.english, "!help")
    await alice.wait_for(replies_to(later))
    assert alice.count(rooms.english, replies_to(asked)) == 1
    assert beto.count(rooms.spanish, copy_of(said, rooms.spanish)) == 1


async def test_minutes_go_to_an_encrypted_room_as_an_encrypted_file(
    bot: BotRunner, rooms: RoomPair, alice: EncryptedPerson, beto: EncryptedPerson
) -> None:
    await alice.send_text(rooms.english, "!startmeeting Budget night")
    await alice.wait_for(notice(rooms.english, "Meeting started"))
    await alice.send_text(rooms.english, "!endmeeting")
    await beto.wait_for(notice(rooms.spanish, "Terminó la reunión"))

    await alice.send_text(rooms.english, "!minutes")

    def minutes_file(event_room: str, event: Any) -> bool:
        content = content_of(event)
        return (
            event_room == rooms.english
            and content.get("msgtype") == "m.file"
            and str(content.get("filename", "")).endswith("-en.md")
        )

    posted = await alice.wait_for(minutes_file)
    assert decrypted(posted)
    content = content_of(posted)
    assert "url" not in content  # only the encrypted form: the file itself is sealed too
    sealed = content["file"]
    response = await alice.client.download(mxc=sealed["url"])
    assert isinstance(response, DownloadResponse), response
    assert b"Budget night" not in response.body
    markdown = decrypt_attachment(
        response.body, sealed["key"]["k"], sealed["hashes"]["sha256"], sealed["iv"]
    ).decode()
    assert markdown.startswith("# Budget night")


# -- strict trust ---------------------------------------------------------------------------------


@pytest.fixture
async def carol(
    synapse: LocalSynapse, accounts: Accounts, tmp_path: Path
) -> AsyncIterator[EncryptedPerson]:
    async for person in _encrypted_person(synapse, accounts["carol"], tmp_path / "carol-keys"):
        yield person


async def test_in_strict_mode_only_listed_devices_can_read_the_bot(
    tmp_path: Path,
    synapse: LocalSynapse,
    accounts: Accounts,
    rooms: RoomPair,
    alice: EncryptedPerson,
    beto: EncryptedPerson,
    carol: EncryptedPerson,
    translator: FakeLibreTranslate,
) -> None:
    await alice.invite(rooms.english, carol.user_id)
    await carol.join(rooms.english)
    assert alice.client.olm is not None
    key = alice.client.olm.account.identity_keys["ed25519"]
    config = configure(tmp_path, synapse, accounts, rooms, alice.user_id, translator)
    text = config.read_text().replace(
        "\n[bot]",
        f"""trust = "verified"
[[matrix.verified_devices]]
user_id = "{alice.user_id}"
device_id = "{alice.device_id}"
ed25519 = "{key}"

[bot]""",
    )
    config.write_text(text)
    runner = await start_bot(config, rooms, alice, beto, accounts[BOT_LOCALPART].user_id)
    try:
        asked = await carol.send_text(rooms.english, "!help")
        answer = await alice.wait_for(replies_to(asked))
        assert decrypted(answer) and "Asamblea commands" in body_of(answer)
        # carol's device is not listed: she gets the event, but not its key.
        unreadable = await carol.wait_for(lambda r, e: e.source.get("event_id") == answer.event_id)
        assert type_of(unreadable) == "m.room.encrypted" and not decrypted(unreadable)
        # beto's device is not listed either: even the copy of alice's words is sealed to him.
        mark = beto.mark()
        await alice.send_text(rooms.english, "hello")
        bot_id = accounts[BOT_LOCALPART].user_id
        copy = await beto.wait_for(
            lambda r, e: r == rooms.spanish and e.source.get("sender") == bot_id, since=mark
        )
        assert type_of(copy) == "m.room.encrypted" and not decrypted(copy)
    finally:
        await runner.stop()
        await leave_all((carol, rooms.english))


# -- a mixed assembly -----------------------------------------------------------------------------


@pytest.fixture
async def plain_beto(synapse: LocalSynapse, accounts: Accounts) -> AsyncIterator[Person]:
    """beto on a client without encryption, in an unencrypted Spanish room."""
    person = Person(synapse.base_url, accounts["beto"])
    await person.start()
    try:
        yield person
    finally:
        await person.stop()


@pytest.fixture
async def mixed_rooms(
    accounts: Accounts, alice: EncryptedPerson, plain_beto: Person
) -> AsyncIterator[RoomPair]:
    bot_id = accounts[BOT_LOCALPART].user_id
    english = await alice.create_encrypted_room("Assembly (EN, encrypted)", invite=[bot_id])
    spanish = await plain_beto.create_room("Asamblea (ES, sin cifrar)", invite=[bot_id])
    yield RoomPair(english=english, spanish=spanish)
    await leave_all((alice, english), (plain_beto, spanish))


async def test_a_mixed_assembly_is_not_mirrored_from_the_encrypted_room_by_default(
    tmp_path: Path,
    synapse: LocalSynapse,
    accounts: Accounts,
    mixed_rooms: RoomPair,
    alice: EncryptedPerson,
    plain_beto: Person,
    translator: FakeLibreTranslate,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.matrix.privacy")
    config = configure(tmp_path, synapse, accounts, mixed_rooms, alice.user_id, translator)
    bot_id = accounts[BOT_LOCALPART].user_id
    runner = await start_bot(config, mixed_rooms, alice, plain_beto, bot_id)
    try:
        assert "messages from the encrypted rooms are not mirrored" in await logged(
            caplog, "mixes encrypted rooms"
        )
        secret = await alice.send_text(mixed_rooms.english, "hello everyone")
        await logged(caplog, f"not mirroring encrypted room {mixed_rooms.english}")
        # The other way round leaks nothing: the Spanish room is readable by anyone anyway.
        public = await plain_beto.send_text(mixed_rooms.spanish, "hola")
        copy = await alice.wait_for(copy_of(public, mixed_rooms.english))
        assert decrypted(copy)
        # The bot still works in both rooms.
        asked = await alice.send_text(mixed_rooms.english, "!help")
        await alice.wait_for(replies_to(asked))
        await plain_beto.next_sync()
        assert plain_beto.count(mixed_rooms.spanish, copy_of(secret, mixed_rooms.spanish)) == 0
    finally:
        await runner.stop()


async def test_a_mixed_assembly_is_mirrored_both_ways_when_the_config_allows_it(
    tmp_path: Path,
    synapse: LocalSynapse,
    accounts: Accounts,
    mixed_rooms: RoomPair,
    alice: EncryptedPerson,
    plain_beto: Person,
    translator: FakeLibreTranslate,
) -> None:
    config = configure(
        tmp_path,
        synapse,
        accounts,
        mixed_rooms,
        alice.user_id,
        translator,
        assembly_extra="allow_unencrypted_mirror = true",
    )
    bot_id = accounts[BOT_LOCALPART].user_id
    runner = await start_bot(config, mixed_rooms, alice, plain_beto, bot_id)
    try:
        said = await alice.send_text(mixed_rooms.english, "hello everyone")
        copy = await plain_beto.wait_for(copy_of(said, mixed_rooms.spanish))
        assert "hola todos" in body_of(copy)
        assert type_of(copy) == "m.room.message" and not decrypted(copy)  # in the clear
    finally:
        await runner.stop()
