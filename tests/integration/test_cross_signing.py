"""The bot's cross-signing identity on a real homeserver, checked from outside.

Every test here uses accounts of its own: an identity, once published, stays with its account for
the rest of the session, and the other tests' people and bot must not inherit one. Signatures are
checked with tests.harness.cross_signing (PyNaCl, canonical JSON built there), not the bot's code.
"""

from __future__ import annotations

import asyncio
import logging
import stat
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.cli.devserver import LocalSynapse, RegisteredAccount
from tests.conftest import BOT_PASSWORD, PERSON_PASSWORD
from tests.harness.bot_runner import BotRunner, RoomPair, write_config
from tests.harness.cross_signing import ClientIdentity, keys_query, only_key, signed_by
from tests.harness.encrypted_person import EncryptedPerson
from tests.harness.person import body_of, type_of
from tests.integration.conftest import joined
from tests.integration.test_encryption import ENCRYPTION_TUNING, decrypted

KEYS_FILE = "cross-signing.json"


def register(synapse: LocalSynapse, name: str, password: str) -> RegisteredAccount:
    return synapse.register(f"{name}-{uuid.uuid4().hex[:8]}", password, displayname=name)


@pytest.fixture
def bot_account(synapse: LocalSynapse) -> RegisteredAccount:
    return register(synapse, "xsign-bot", BOT_PASSWORD)


@pytest.fixture
def host(synapse: LocalSynapse) -> RegisteredAccount:
    """Someone who has the assembly's rooms and looks the bot's keys up."""
    return register(synapse, "host", PERSON_PASSWORD)


@pytest.fixture
def plain_rooms(synapse: LocalSynapse, host: RegisteredAccount, bot_account: RegisteredAccount):
    invite = [bot_account.user_id]
    return RoomPair(
        english=synapse.create_room(host, "Assembly (EN)", invite),
        spanish=synapse.create_room(host, "Asamblea (ES)", invite),
    )


def configure(
    tmp_path: Path,
    synapse: LocalSynapse,
    bot: RegisteredAccount,
    rooms: RoomPair,
    chair: str,
    matrix: str = "",
) -> Path:
    """The bot's configuration, with `matrix` added to its [matrix] table."""
    config = write_config(
        tmp_path / "config.toml",
        homeserver=synapse.base_url,
        bot_user_id=bot.user_id,
        bot_password=BOT_PASSWORD,
        rooms=rooms,
        chairs=[chair],
    )
    config.write_text(config.read_text().replace("\n[bot]", f"{matrix}\n[bot]"))
    return config


@pytest.fixture
async def runner(
    tmp_path: Path,
    synapse: LocalSynapse,
    bot_account: RegisteredAccount,
    host: RegisteredAccount,
    plain_rooms: RoomPair,
) -> AsyncIterator[BotRunner]:
    config = configure(tmp_path, synapse, bot_account, plain_rooms, host.user_id)
    bot = BotRunner(config, ENCRYPTION_TUNING)
    try:
        yield bot
    finally:
        await bot.stop()


def crypto_store(tmp_path: Path) -> Path:
    return tmp_path / "asamblea-crypto"


def published_identity(answer: dict[str, Any], user_id: str) -> tuple[str, str]:
    """The master and self-signing keys of `user_id`, the latter checked against the former."""
    master = only_key(answer["master_keys"][user_id])
    self_signing_key = answer["self_signing_keys"][user_id]
    assert signed_by(self_signing_key, user_id, master)
    return master, only_key(self_signing_key)


def messages(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


async def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait for the bot's state to reach `condition` (it changes after a sync of its own)."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.1)

    await asyncio.wait_for(poll(), timeout)


async def cli(*args: str) -> int:
    """`asamblea …` as the operator types it (in a thread: it runs its own event loop)."""
    return await asyncio.to_thread(main, list(args))


# -- the bot's own identity -----------------------------------------------------------------------


async def test_the_bot_publishes_its_identity_signs_its_device_and_keeps_both_across_a_restart(
    tmp_path: Path,
    synapse: LocalSynapse,
    runner: BotRunner,
    bot_account: RegisteredAccount,
    host: RegisteredAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    bot_id = bot_account.user_id
    app = await runner.start()
    device_id = app.client.device_id

    answer = await keys_query(synapse.base_url, host.access_token, bot_id)
    master, self_signing = published_identity(answer, bot_id)
    device = answer["device_keys"][bot_id][device_id]
    assert signed_by(device, bot_id, self_signing)
    # The check itself can fail: the same signature over other contents does not hold.
    assert not signed_by({**device, "device_id": "FORGED"}, bot_id, self_signing)

    # The private keys stay in the crypto store, readable by the bot's user only.
    keys_file = crypto_store(tmp_path) / KEYS_FILE
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys_file.parent.stat().st_mode) == 0o700

    await runner.restart()
    again = await keys_query(synapse.base_url, host.access_token, bot_id)
    assert published_identity(again, bot_id) == (master, self_signing)
    assert signed_by(again["device_keys"][bot_id][device_id], bot_id, self_signing)
    assert len(messages(caplog, "published the cross-signing identity")) == 1


async def test_an_identity_made_elsewhere_is_left_alone_until_the_operator_resets_it(
    tmp_path: Path,
    synapse: LocalSynapse,
    runner: BotRunner,
    bot_account: RegisteredAccount,
    host: RegisteredAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot_id = bot_account.user_id
    elsewhere = ClientIdentity(bot_id)
    await elsewhere.publish(synapse.base_url, bot_account.access_token, BOT_PASSWORD)

    app = await runner.start()
    device_id = app.client.device_id
    [warning] = messages(caplog, "already has a cross-signing identity")
    assert "asamblea crypto bootstrap --reset" in warning
    answer = await keys_query(synapse.base_url, host.access_token, bot_id)
    assert published_identity(answer, bot_id)[0] == elsewhere.master_key
    assert not (crypto_store(tmp_path) / KEYS_FILE).exists()

    # The operator decides to replace it, while the bot runs; the bot signs its device at start.
    assert await cli("crypto", "bootstrap", "--reset", "--config", str(runner.config_path)) == 0
    answer = await keys_query(synapse.base_url, host.access_token, bot_id)
    master, self_signing = published_identity(answer, bot_id)
    assert master != elsewhere.master_key
    await runner.restart()
    answer = await keys_query(synapse.base_url, host.access_token, bot_id)
    assert published_identity(answer, bot_id) == (master, self_signing)
    assert signed_by(answer["device_keys"][bot_id][device_id], bot_id, self_signing)


# -- verified people ------------------------------------------------------------------------------


@pytest.fixture
async def erin(synapse: LocalSynapse, tmp_path: Path) -> AsyncIterator[EncryptedPerson]:
    account = register(synapse, "erin", PERSON_PASSWORD)
    person = EncryptedPerson(synapse.base_url, account, PERSON_PASSWORD, tmp_path / "erin-keys")
    await person.start()
    try:
        yield person
    finally:
        await person.stop()


@pytest.fixture
async def erins_identity(synapse: LocalSynapse, erin: EncryptedPerson) -> ClientIdentity:
    """erin's cross-signing identity, with her device signed, as Element sets it up."""
    identity = ClientIdentity(erin.user_id)
    await identity.publish(synapse.base_url, erin.client.access_token, PERSON_PASSWORD)
    await identity.sign_device(synapse.base_url, erin.client.access_token, erin.device_id)
    return identity


@pytest.fixture
async def erins_new_phone(erin: EncryptedPerson, tmp_path: Path) -> AsyncIterator[EncryptedPerson]:
    """Another session of erin's account that she never verified (nor anyone signed)."""
    person = EncryptedPerson(
        erin.client.homeserver, erin.account, PERSON_PASSWORD, tmp_path / "erin-phone-keys"
    )
    await person.start()
    try:
        yield person
    finally:
        await person.stop()


async def test_in_verified_mode_erin_reads_the_bot_once_the_operator_verified_her(
    tmp_path: Path,
    synapse: LocalSynapse,
    bot_account: RegisteredAccount,
    erin: EncryptedPerson,
    erins_identity: ClientIdentity,
    erins_new_phone: EncryptedPerson,
) -> None:
    bot_id = bot_account.user_id
    rooms = RoomPair(
        english=await erin.create_encrypted_room("Assembly (EN)", invite=[bot_id]),
        spanish=await erin.create_encrypted_room("Asamblea (ES)", invite=[bot_id]),
    )
    config = configure(
        tmp_path, synapse, bot_account, rooms, erin.user_id, matrix='trust = "verified"'
    )
    runner = BotRunner(config, ENCRYPTION_TUNING)
    app = await runner.start()
    try:
        await erin.wait_for(lambda r, e: r == rooms.english and joined(e, bot_id))
        from_bot = await answer_to_help(erin, rooms.english)
        assert type_of(from_bot) == "m.room.encrypted" and not decrypted(from_bot)

        master = erins_identity.master_key
        verify = ("crypto", "verify", erin.user_id, "--config", str(config), "--fingerprint")
        assert await cli(*verify, "AAAA BBBB") == 1  # not the key erin reads out: refused
        assert await cli(*verify, master) == 0
        assert app.crypto is not None
        await eventually(lambda: app.crypto.trust.pins[erin.user_id].verified)  # type: ignore

        # The bot's user-signing key signed erin's master key, for every client to see.
        answer = await keys_query(synapse.base_url, app.client.access_token, bot_id, erin.user_id)
        user_signing_key = answer["user_signing_keys"][bot_id]
        assert signed_by(user_signing_key, bot_id, published_identity(answer, bot_id)[0])
        assert signed_by(answer["master_keys"][erin.user_id], bot_id, only_key(user_signing_key))

        readable = await answer_to_help(erin, rooms.english)
        assert decrypted(readable) and "Asamblea commands" in body_of(readable)
        # Her new phone is hers, but she never signed it: it gets nothing.
        copy = await erins_new_phone.wait_for(
            lambda r, e: e.source.get("event_id") == readable.event_id
        )
        assert type_of(copy) == "m.room.encrypted" and not decrypted(copy)
    finally:
        await runner.stop()


async def answer_to_help(person: EncryptedPerson, room_id: str) -> Any:
    """What the bot says next in the room after `person` asks for help, readable or not."""
    mark = person.mark()
    await person.send_text(room_id, "!help")
    return await person.wait_for(
        lambda r, e: r == room_id and e.source.get("sender") not in (person.user_id, None)
        and type_of(e) in ("m.room.message", "m.room.encrypted"),
        since=mark,
    )


async def test_by_default_a_changed_master_key_is_refused_until_the_operator_verifies_it(
    tmp_path: Path,
    synapse: LocalSynapse,
    bot_account: RegisteredAccount,
    erin: EncryptedPerson,
    erins_identity: ClientIdentity,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot_id = bot_account.user_id
    rooms = RoomPair(
        english=await erin.create_encrypted_room("Assembly (EN)", invite=[bot_id]),
        spanish=await erin.create_encrypted_room("Asamblea (ES)", invite=[bot_id]),
    )
    config = configure(tmp_path, synapse, bot_account, rooms, erin.user_id)
    runner = BotRunner(config, ENCRYPTION_TUNING)
    await runner.start()
    try:
        await erin.wait_for(lambda r, e: r == rooms.english and joined(e, bot_id))
        assert decrypted(await answer_to_help(erin, rooms.english))  # her first key, pinned

        # Her identity is replaced (she reset it, or someone who took her account did).
        replaced = ClientIdentity(erin.user_id)
        await replaced.publish(synapse.base_url, erin.client.access_token, PERSON_PASSWORD)
        await replaced.sign_device(synapse.base_url, erin.client.access_token, erin.device_id)
        await eventually(lambda: bool(messages(caplog, f"the master key of {erin.user_id}")))
        refused = await answer_to_help(erin, rooms.english)
        assert type_of(refused) == "m.room.encrypted" and not decrypted(refused)

        # The operator checks the new key with her and accepts it.
        verify = ("crypto", "verify", erin.user_id, "--config", str(config), "--fingerprint")
        assert await cli(*verify, replaced.master_key) == 0
        assert await eventually_readable(erin, rooms.english)
    finally:
        await runner.stop()


async def eventually_readable(person: EncryptedPerson, room_id: str, tries: int = 10) -> bool:
    """Ask until the bot's answer is readable: the bot takes up the operator's verification
    after a sync of its own, which the test cannot see."""
    for _ in range(tries):
        if decrypted(await answer_to_help(person, room_id)):
            return True
    return False
