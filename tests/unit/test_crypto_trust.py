"""Whose devices get the room keys: through people's cross-signing identities (master keys pinned
on first sight, or verified by the operator), per device for people without one (trust on first
use by default, listed devices only in strict mode); and how what the bot sends reaches an
encrypted room."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nio import OlmUnverifiedDeviceError, RoomSendResponse
from nio.crypto import OlmDevice, TrustState

from bot.matrix.cross_signing import CrossSigningKeys
from bot.matrix.identities import Identity, identities_from_query
from bot.matrix.pins import Pin, PinStore
from bot.matrix.sending import attachment, encrypts, send_event
from bot.matrix.trust import TrustPolicy
from bot.settings import Trust, VerifiedDevice
from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore
from tests.harness.fakes import FakeClient, FakeRoom

KEY = "A" * 43
OTHER_KEY = "B" * 43


def device(user: str = "@ana:x", device_id: str = "PHONE", key: str = KEY, state=None) -> OlmDevice:
    found = OlmDevice(user, device_id, {"ed25519": key, "curve25519": "curve"})
    if state is not None:
        found.trust_state = state
    return found


def listed(user: str = "@ana:x", device_id: str = "PHONE", key: str = KEY) -> VerifiedDevice:
    # As an operator copies it from Element's session list: in groups of four.
    spaced = " ".join(key[i : i + 4] for i in range(0, len(key), 4))
    return VerifiedDevice(user, device_id, spaced)


def test_by_default_every_members_device_is_shared_with_as_first_seen() -> None:
    policy = TrustPolicy()
    assert policy.shares_with_unverified
    assert policy.wanted_state(device()) is TrustState.unset  # nio marks it ignored on send
    assert policy.wanted_state(device(state=TrustState.ignored)) is TrustState.ignored


def test_trust_on_first_use_lifts_a_blacklist_left_by_strict_mode() -> None:
    assert TrustPolicy().wanted_state(device(state=TrustState.blacklisted)) is TrustState.unset


def test_strict_mode_verifies_listed_devices_and_shuts_out_the_rest() -> None:
    policy = TrustPolicy(Trust.VERIFIED, [listed()])
    assert not policy.shares_with_unverified
    assert policy.wanted_state(device()) is TrustState.verified
    assert policy.wanted_state(device(device_id="LAPTOP")) is TrustState.blacklisted
    assert policy.wanted_state(device(user="@beto:x")) is TrustState.blacklisted
    # Verified under an earlier configuration, no longer listed: shut out too.
    unlisted = device(device_id="OLD", state=TrustState.verified)
    assert policy.wanted_state(unlisted) is TrustState.blacklisted


def test_a_listed_device_whose_key_changed_is_not_trusted_in_either_mode() -> None:
    for trust in Trust:
        policy = TrustPolicy(trust, [listed()])
        assert policy.wanted_state(device(key=OTHER_KEY)) is TrustState.blacklisted


# -- through cross-signing identities --------------------------------------------------------------

ANA = "@ana:x"
BOT = "@asamblea:x"


def identity_of(keys: CrossSigningKeys, *signed: str, vouched_by: CrossSigningKeys | None = None):
    """`keys.user_id`'s identity as a key query reports it, with these devices signed (each with
    the key KEY) and, if given, the master key signed by another account's user-signing key."""
    public = keys.public_keys()
    devices = {
        device_id: keys.device_signature(
            {"user_id": keys.user_id, "device_id": device_id, "keys": {f"ed25519:{device_id}": KEY}}
        )
        for device_id in signed
    }
    master = public["master_key"]
    if vouched_by is not None:
        master = vouched_by.master_key_signature(master)
    answer = {
        "device_keys": {keys.user_id: devices},
        "master_keys": {keys.user_id: master},
        "self_signing_keys": {keys.user_id: public["self_signing_key"]},
    }
    return identities_from_query(answer)[keys.user_id]


def learnt(policy: TrustPolicy, *identities: Identity) -> TrustPolicy:
    policy.learn({i.user_id: i for i in identities}, ())
    return policy


def test_by_default_the_first_master_key_seen_is_pinned_and_vouches_for_signed_devices() -> None:
    ana = CrossSigningKeys.generate(ANA)
    policy = learnt(TrustPolicy(), identity_of(ana, "PHONE"))
    assert policy.unsaved_pins() == {ANA: Pin(ana.master.public_key)}
    assert policy.unsaved_pins() == {}  # handed over once
    assert policy.wanted_state(device()) is TrustState.unset  # shared with
    assert policy.wanted_state(device(state=TrustState.blacklisted)) is TrustState.unset
    # Ana has an identity, so a device she has not signed is not hers as far as anyone knows.
    assert policy.wanted_state(device(device_id="LAPTOP")) is TrustState.blacklisted
    assert policy.wanted_state(device(key=OTHER_KEY)) is TrustState.blacklisted


def test_a_changed_master_key_is_refused_until_the_operator_verifies_it(caplog) -> None:
    ana, impostor = CrossSigningKeys.generate(ANA), CrossSigningKeys.generate(ANA)
    policy = TrustPolicy()
    policy.load_pins({ANA: Pin(ana.master.public_key)})
    learnt(policy, identity_of(impostor, "PHONE"))
    assert policy.unsaved_pins() == {}  # the pin stays
    assert policy.wanted_state(device()) is TrustState.blacklisted
    assert policy.wanted_state(device(device_id="TABLET")) is TrustState.blacklisted
    [warning] = [r.getMessage() for r in caplog.records if "master key of" in r.getMessage()]
    assert "asamblea crypto verify @ana:x" in warning  # logged once, with what to do
    # The operator checked the new key with Ana and verified it (`asamblea crypto verify`).
    policy.load_pins({ANA: Pin(impostor.master.public_key, verified=True)})
    assert policy.wanted_state(device()) is TrustState.unset


def test_a_pinned_identity_that_disappears_does_not_fall_back_to_bare_devices() -> None:
    ana = CrossSigningKeys.generate(ANA)
    policy = learnt(TrustPolicy(), identity_of(ana, "PHONE"))
    policy.learn({}, [ANA])  # the homeserver now says Ana has no identity
    assert policy.wanted_state(device()) is TrustState.blacklisted


def test_in_strict_mode_only_verified_identities_vouch_for_their_devices() -> None:
    ana = CrossSigningKeys.generate(ANA)
    policy = learnt(TrustPolicy(Trust.VERIFIED), identity_of(ana, "PHONE"))
    assert policy.wanted_state(device()) is TrustState.blacklisted  # pinned, not verified
    policy.load_pins({ANA: Pin(ana.master.public_key, verified=True)})
    assert policy.wanted_state(device()) is TrustState.verified
    assert policy.wanted_state(device(device_id="LAPTOP")) is TrustState.blacklisted


def test_the_bots_signature_on_a_master_key_verifies_it_and_its_own_devices_are_its_own() -> None:
    bot, ana = CrossSigningKeys.generate(BOT), CrossSigningKeys.generate(ANA)
    policy = TrustPolicy(Trust.VERIFIED)
    policy.hold_own_identity(BOT, bot.master.public_key, bot.user_signing.public_key)
    learnt(policy, identity_of(ana, "PHONE", vouched_by=bot), identity_of(bot, "OLDBOT"))
    assert policy.unsaved_pins() == {
        ANA: Pin(ana.master.public_key, verified=True),
        BOT: Pin(bot.master.public_key, verified=True),
    }
    assert policy.wanted_state(device()) is TrustState.verified
    assert policy.wanted_state(device(user=BOT, device_id="OLDBOT")) is TrustState.verified
    # A signature by some other key under the bot's name verifies nothing.
    beto, stranger = CrossSigningKeys.generate("@beto:x"), CrossSigningKeys.generate(BOT)
    learnt(policy, identity_of(beto, "PHONE", vouched_by=stranger))
    assert policy.unsaved_pins() == {"@beto:x": Pin(beto.master.public_key)}
    assert policy.wanted_state(device(user="@beto:x")) is TrustState.blacklisted


def test_a_listed_device_stays_trusted_whatever_its_owners_identity_says() -> None:
    ana = CrossSigningKeys.generate(ANA)
    policy = learnt(TrustPolicy(Trust.VERIFIED, [listed(device_id="LAPTOP")]), identity_of(ana))
    assert policy.wanted_state(device(device_id="LAPTOP")) is TrustState.verified


def test_settling_changes_only_what_the_policy_wants_changed() -> None:
    client: Any = FakeClient()
    policy = TrustPolicy(Trust.VERIFIED, [listed()])
    phone, laptop = device(), device(device_id="LAPTOP", state=TrustState.verified)
    for d in (phone, laptop, phone):
        policy.settle(client, d)
    assert client.calls == [("verify", "PHONE"), ("unverify", "LAPTOP"), ("blacklist", "LAPTOP")]


def joined(encrypted: bool) -> FakeRoom:
    """A room that ana has joined, with the bot."""
    return FakeRoom(encrypted, users={"@bot:x": None, "@ana:x": None})


async def test_without_encryption_messages_go_out_as_before() -> None:
    client: Any = FakeClient(rooms={"!any": joined(encrypted=False)}, next_batch="s1")
    assert encrypts(client, "!any") is False
    sent = await send_event(client, TrustPolicy(), "!any", "m.room.message", {}, "t")
    assert isinstance(sent, RoomSendResponse)
    assert client.calls == [("send", "!any", True)]


async def test_a_room_not_yet_synced_waits_and_is_never_refused_by_the_bot_itself() -> None:
    for olm in (object(), None):
        client: Any = FakeClient(olm=olm)
        assert await send_event(client, TrustPolicy(), "!new", "m.room.message", {}, "t") is None
        client.next_batch = "s1"  # after the first sync too: a chat just made comes in later
        assert await send_event(client, TrustPolicy(), "!new", "m.room.message", {}, "t") is None
        assert client.calls == []
    assert encrypts(FakeClient(olm=object()), "!new") is None  # type: ignore[arg-type]


async def test_nothing_goes_in_the_clear_to_an_encrypted_room_nor_to_nobody() -> None:
    # Encryption off, the room encrypted: the message waits rather than go out readable.
    client: Any = FakeClient(rooms={"!r": joined(encrypted=True)}, next_batch="s1")
    assert await send_event(client, TrustPolicy(), "!r", "m.room.message", {}, "t") is None
    # An encrypted chat whose person is only invited: the room key would reach no reader.
    alone = FakeRoom(
        encrypted=True, users={"@bot:x": None, "@ana:x": None}, invited_users={"@ana:x": None}
    )
    client = FakeClient(olm=object(), rooms={"!r": alone}, next_batch="s1", user_id="@bot:x")
    assert await send_event(client, TrustPolicy(), "!r", "m.room.message", {}, "t") is None
    # A plain chat just made: what comes before the join is hidden from the person invited.
    plain = FakeRoom(
        encrypted=False, users={"@bot:x": None, "@ana:x": None}, invited_users={"@ana:x": None}
    )
    client = FakeClient(rooms={"!r": plain}, next_batch="s1", user_id="@bot:x")
    assert await send_event(client, TrustPolicy(), "!r", "m.room.message", {}, "t") is None
    assert client.calls == []
    del plain.invited_users["@ana:x"]  # she joined
    sent = await send_event(client, TrustPolicy(), "!r", "m.room.message", {}, "t")
    assert isinstance(sent, RoomSendResponse)


async def test_strict_mode_settles_a_device_that_appeared_and_tries_again_later() -> None:
    newcomer = device(device_id="NEW")
    client: Any = FakeClient(olm=object(), rooms={"!r": joined(encrypted=True)}, next_batch="s1")
    client.send_error = OlmUnverifiedDeviceError(newcomer, "not verified")
    policy = TrustPolicy(Trust.VERIFIED)
    assert encrypts(client, "!r") is True
    assert await send_event(client, policy, "!r", "m.room.message", {}, "t") is None
    assert client.calls == [("send", "!r", False), ("blacklist", "NEW")]


def test_a_file_for_an_encrypted_room_is_referred_to_in_the_encrypted_form() -> None:
    assert attachment("mxc://x/plain", None, "text/markdown") == {"url": "mxc://x/plain"}
    keys = {"v": "v2", "key": {"k": "secret"}, "iv": "iv", "hashes": {"sha256": "h"}}
    assert attachment("mxc://x/sealed", keys, "text/markdown") == {
        "file": {**keys, "url": "mxc://x/sealed", "mimetype": "text/markdown"}
    }


async def test_pins_are_kept_in_the_database_one_per_person(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    try:
        store = RuntimeStore(db)
        pins = PinStore(store)
        await pins.save(ANA, Pin("MASTER"))
        await pins.save("@beto:x", Pin("OTHER", verified=True))
        await store.set_value("crypto.identity.@broken:x", "not json")
        await store.set_value("crypto.identityless", "{}")  # another key, not a pin
        assert await pins.load() == {ANA: Pin("MASTER"), "@beto:x": Pin("OTHER", True)}
    finally:
        await db.close()
