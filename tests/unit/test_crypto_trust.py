"""Whose devices get the room keys: trust on first use by default, listed devices only in strict
mode; and how what the bot sends reaches an encrypted room."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nio import OlmUnverifiedDeviceError, RoomSendError
from nio.crypto import OlmDevice, TrustState

from bot.matrix.sending import attachment, encrypts, send_event
from bot.matrix.trust import TrustPolicy
from bot.settings import Trust, VerifiedDevice

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


@dataclass
class FakeClient:
    calls: list[tuple[str, str]] = field(default_factory=list)
    olm: Any = None
    rooms: dict[str, Any] = field(default_factory=dict)
    next_batch: str = ""
    send_error: Exception | None = None

    def verify_device(self, d: OlmDevice) -> bool:
        d.trust_state = TrustState.verified
        self.calls.append(("verify", d.device_id))
        return True

    def unverify_device(self, d: OlmDevice) -> bool:
        d.trust_state = TrustState.unset
        self.calls.append(("unverify", d.device_id))
        return True

    def blacklist_device(self, d: OlmDevice) -> bool:
        d.trust_state = TrustState.blacklisted
        self.calls.append(("blacklist", d.device_id))
        return True

    def unblacklist_device(self, d: OlmDevice) -> bool:
        d.trust_state = TrustState.unset
        self.calls.append(("unblacklist", d.device_id))
        return True

    async def room_send(self, room_id: str, event_type: str, content: dict, **kwargs: Any) -> Any:
        self.calls.append(("send", f"{room_id} {kwargs['ignore_unverified_devices']}"))
        if self.send_error is not None:
            raise self.send_error
        return "sent"


def test_settling_changes_only_what_the_policy_wants_changed() -> None:
    client: Any = FakeClient()
    policy = TrustPolicy(Trust.VERIFIED, [listed()])
    phone, laptop = device(), device(device_id="LAPTOP", state=TrustState.verified)
    for d in (phone, laptop, phone):
        policy.settle(client, d)
    assert client.calls == [("verify", "PHONE"), ("unverify", "LAPTOP"), ("blacklist", "LAPTOP")]


@dataclass
class Room:
    encrypted: bool


async def test_without_encryption_messages_go_out_as_before() -> None:
    client: Any = FakeClient()
    assert encrypts(client, "!any") is False
    sent = await send_event(client, TrustPolicy(), "!any", "m.room.message", {}, "t")
    assert sent == "sent"
    assert client.calls == [("send", "!any True")]


async def test_before_the_first_sync_nothing_goes_to_a_room_of_unknown_encryption() -> None:
    client: Any = FakeClient(olm=object())
    assert encrypts(client, "!new") is None
    assert await send_event(client, TrustPolicy(), "!new", "m.room.message", {}, "t") is None
    client.next_batch = "s1"
    refused = await send_event(client, TrustPolicy(), "!new", "m.room.message", {}, "t")
    assert isinstance(refused, RoomSendError) and refused.status_code == "M_FORBIDDEN"
    assert client.calls == []


async def test_strict_mode_settles_a_device_that_appeared_and_tries_again_later() -> None:
    newcomer = device(device_id="NEW")
    client: Any = FakeClient(olm=object(), rooms={"!r": Room(encrypted=True)}, next_batch="s1")
    client.send_error = OlmUnverifiedDeviceError(newcomer, "not verified")
    policy = TrustPolicy(Trust.VERIFIED)
    assert encrypts(client, "!r") is True
    assert await send_event(client, policy, "!r", "m.room.message", {}, "t") is None
    assert client.calls == [("send", "!r False"), ("blacklist", "NEW")]


def test_a_file_for_an_encrypted_room_is_referred_to_in_the_encrypted_form() -> None:
    assert attachment("mxc://x/plain", None, "text/markdown") == {"url": "mxc://x/plain"}
    keys = {"v": "v2", "key": {"k": "secret"}, "iv": "iv", "hashes": {"sha256": "h"}}
    assert attachment("mxc://x/sealed", keys, "text/markdown") == {
        "file": {**keys, "url": "mxc://x/sealed", "mimetype": "text/markdown"}
    }
