"""Cross-signing identities read from `/keys/query`: a device is its owner's only when the chain
master key → self-signing key → device holds; and the bot's own identity is made once, reused,
and never laid over one it does not hold."""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.matrix.cross_signing import (
    KEYS_FILE,
    CrossSigningError,
    CrossSigningKeys,
    OwnIdentitySetup,
)
from bot.matrix.identities import identities_from_query, users_without_identity
from bot.matrix.keys_api import PasswordNeeded
from bot.matrix.signing import SigningKey

ANA = "@ana:example.org"
BOT = "@asamblea:example.org"


def device(user_id: str, device_id: str, ed25519: str = "DEVICEKEY") -> dict[str, Any]:
    return {
        "user_id": user_id,
        "device_id": device_id,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {f"ed25519:{device_id}": ed25519, f"curve25519:{device_id}": "curve"},
        "unsigned": {"device_display_name": "Ana's phone"},
    }


def answer_for(keys: CrossSigningKeys, *devices: dict[str, Any]) -> dict[str, Any]:
    """A `/keys/query` answer about `keys.user_id`, as the homeserver serves it."""
    user_id, public = keys.user_id, keys.public_keys()
    return {
        "device_keys": {user_id: {d["device_id"]: d for d in devices}},
        "master_keys": {user_id: public["master_key"]},
        "self_signing_keys": {user_id: public["self_signing_key"]},
    }


def signed_device(keys: CrossSigningKeys, device_id: str, ed25519: str = "DEVICEKEY") -> dict:
    payload = device(keys.user_id, device_id, ed25519)
    return {**keys.device_signature(payload), "unsigned": payload["unsigned"]}


# -- reading identities ---------------------------------------------------------------------------


def test_a_device_signed_through_the_whole_chain_counts_as_its_owners() -> None:
    ana = CrossSigningKeys.generate(ANA)
    answer = answer_for(ana, signed_device(ana, "PHONE"), device(ANA, "LAPTOP"))
    identity = identities_from_query(answer)[ANA]
    assert identity.master == ana.master.public_key
    assert identity.self_signing == ana.self_signing.public_key
    assert identity.signs("PHONE", "DEVICEKEY")
    assert not identity.signs("LAPTOP", "DEVICEKEY")  # never signed
    assert not identity.signs("PHONE", "OTHERKEY")  # signed, but with another key


def test_a_forged_device_signature_is_refused() -> None:
    ana, mallory = CrossSigningKeys.generate(ANA), CrossSigningKeys.generate(ANA)
    forged = signed_device(ana, "PHONE")
    label = ana.self_signing.key_id
    forged["signatures"] = {ANA: {label: mallory.self_signing.signature(forged)}}
    tampered = {**signed_device(ana, "TABLET"), "device_id": "TABLET"}
    tampered["keys"] = {"ed25519:TABLET": "SWAPPEDKEY", "curve25519:TABLET": "curve"}
    identity = identities_from_query(answer_for(ana, forged, tampered))[ANA]
    assert identity.signed_devices == {}


def test_a_self_signing_key_the_master_key_did_not_sign_vouches_for_nothing() -> None:
    ana, other = CrossSigningKeys.generate(ANA), CrossSigningKeys.generate(ANA)
    answer = answer_for(ana, signed_device(ana, "PHONE"))
    # The homeserver swaps in a self-signing key of its own, signed by a master key not Ana's.
    answer["self_signing_keys"][ANA] = other.public_keys()["self_signing_key"]
    identity = identities_from_query(answer)[ANA]
    assert identity.self_signing is None
    assert identity.signed_devices == {}


def test_malformed_keys_are_no_identity_and_users_without_one_are_told_apart() -> None:
    ana = CrossSigningKeys.generate(ANA)
    answer = answer_for(ana)
    answer["master_keys"][ANA] = {**answer["master_keys"][ANA], "user_id": "@mallory:x"}
    answer["device_keys"]["@beto:example.org"] = {"PHONE": device("@beto:example.org", "PHONE")}
    assert identities_from_query(answer) == {}
    assert users_without_identity(answer) == {"@beto:example.org"}


def test_a_master_key_signed_by_the_bots_user_signing_key_is_verified_by_the_bot() -> None:
    ana, bot = CrossSigningKeys.generate(ANA), CrossSigningKeys.generate(BOT)
    answer = answer_for(ana)
    unverified = identities_from_query(answer)[ANA]
    assert not unverified.verified_by(BOT, bot.user_signing.public_key)
    answer["master_keys"][ANA] = bot.master_key_signature(answer["master_keys"][ANA])
    verified = identities_from_query(answer)[ANA]
    assert verified.master == ana.master.public_key
    assert verified.verified_by(BOT, bot.user_signing.public_key)
    assert not verified.verified_by(BOT, bot.self_signing.public_key)


def test_the_bots_keys_sign_each_other_as_the_specification_wants() -> None:
    bot = CrossSigningKeys.generate(BOT)
    public = bot.public_keys()
    answer = {**answer_for(bot), "user_signing_keys": {BOT: public["user_signing_key"]}}
    identity = identities_from_query(answer)[BOT]
    assert identity.user_signing == bot.user_signing.public_key
    assert bot.owns(identity)
    assert public["master_key"]["usage"] == ["master"]
    assert "signatures" not in public["master_key"]


# -- the bot's own identity -----------------------------------------------------------------------


@dataclass
class FakeHomeserver:
    """The key endpoints of one account, as a homeserver keeps them."""

    user_id: str = BOT
    device_id: str = "BOTDEVICE"
    device_key: SigningKey = field(default_factory=SigningKey.generate)
    published: dict[str, Any] = field(default_factory=dict)
    device_signatures: dict[str, Any] = field(default_factory=dict)
    wants_password: bool = False
    uploads: int = 0

    def device_payload(self) -> dict[str, Any]:
        """The bot's device as it uploaded its keys: signed by the device's own key."""
        payload = device(self.user_id, self.device_id, self.device_key.public_key)
        label = f"ed25519:{self.device_id}"
        signature = self.device_key.signature(payload)
        return {**payload, "signatures": {self.user_id: {label: signature}}}

    async def query(self, user_ids: Any) -> dict[str, Any]:
        payload = self.device_payload()
        for user_id, signatures in self.device_signatures.items():
            payload["signatures"].setdefault(user_id, {}).update(signatures)
        answer: dict[str, Any] = {"device_keys": {self.user_id: {self.device_id: payload}}}
        if self.published:
            answer["master_keys"] = {self.user_id: self.published["master_key"]}
            answer["self_signing_keys"] = {self.user_id: self.published["self_signing_key"]}
        return answer

    async def upload_signing_keys(self, keys: dict[str, Any], password: str | None) -> None:
        if self.wants_password and not password:
            raise PasswordNeeded("publishing", 401, {"session": "s"})
        self.uploads += 1
        self.published = keys

    async def upload_signatures(self, signed: dict[str, dict[str, Any]]) -> None:
        self.device_signatures = signed[self.user_id][self.device_id]["signatures"]


def setup(server: FakeHomeserver, folder: Path, device_key: str | None = "") -> OwnIdentitySetup:
    """The bot's setup, knowing its device's key (None: as the command line, which does not)."""
    key = server.device_key.public_key if device_key == "" else device_key
    return OwnIdentitySetup(server, folder, server.user_id, server.device_id, key)  # type: ignore


async def test_the_first_start_publishes_an_identity_and_a_restart_reuses_it(
    tmp_path: Path,
) -> None:
    server, folder = FakeHomeserver(), tmp_path / "crypto"
    first = await setup(server, folder).settle("password")
    assert first.keys is not None and first.device_signed
    identity = identities_from_query(await server.query([BOT]))[BOT]
    assert identity.signs(server.device_id, server.device_key.public_key)
    assert stat.S_IMODE((folder / KEYS_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700

    again = await setup(server, folder).settle("password")
    assert again.master == first.master and server.uploads == 1


async def test_an_identity_the_bot_does_not_hold_is_reported_never_replaced(
    tmp_path: Path,
) -> None:
    elsewhere = CrossSigningKeys.generate(BOT)
    server = FakeHomeserver(published=elsewhere.public_keys())
    own = await setup(server, tmp_path).settle("password")
    assert own.keys is None and own.master == elsewhere.master.public_key
    assert "already has a cross-signing identity" in own.summary
    assert "asamblea crypto bootstrap --reset" in own.summary
    assert server.uploads == 0 and not server.device_signatures
    assert not (tmp_path / KEYS_FILE).exists()

    # From the command line, which does not know the device's key: published, not signed.
    replaced = await setup(server, tmp_path, device_key=None).settle("password", reset=True)
    assert replaced.keys is not None and replaced.master != elsewhere.master.public_key
    assert not replaced.device_signed and "next start" in replaced.summary
    restarted = await setup(server, tmp_path).settle("password")
    assert restarted.master == replaced.master and restarted.device_signed


async def test_the_bot_signs_only_its_own_device_key_whatever_the_homeserver_serves(
    tmp_path: Path,
) -> None:
    server = FakeHomeserver()
    own = await setup(server, tmp_path, device_key="SOMEOTHERKEY").settle("password")
    assert own.keys is not None and not own.device_signed
    assert server.device_signatures == {}


async def test_without_the_password_the_operator_is_told_to_bootstrap_and_nothing_is_lost(
    tmp_path: Path,
) -> None:
    server = FakeHomeserver(wants_password=True)
    own = await setup(server, tmp_path).settle(None, config_hint="--config /etc/asamblea.toml")
    assert own.keys is None
    assert "asamblea crypto bootstrap --config /etc/asamblea.toml" in own.summary
    kept = CrossSigningKeys.load(tmp_path)
    assert kept is not None  # made and kept; the bootstrap publishes these same keys
    bootstrapped = await setup(server, tmp_path).settle("password")
    assert bootstrapped.master == kept.master.public_key


async def test_a_damaged_or_foreign_keys_file_stops_the_setup_with_advice(tmp_path: Path) -> None:
    CrossSigningKeys.generate("@someone-else:example.org").save(tmp_path)
    with pytest.raises(CrossSigningError, match="someone-else"):
        await setup(FakeHomeserver(), tmp_path).settle("password")
    (tmp_path / KEYS_FILE).write_text(json.dumps({"user_id": BOT, "master": "??"}))
    with pytest.raises(CrossSigningError, match="damaged"):
        await setup(FakeHomeserver(), tmp_path).settle("password")


def test_keys_survive_the_file_round_trip(tmp_path: Path) -> None:
    keys = CrossSigningKeys.generate(BOT)
    keys.save(tmp_path)
    loaded = CrossSigningKeys.load(tmp_path)
    assert loaded is not None
    assert [k.seed for k in (loaded.master, loaded.self_signing, loaded.user_signing)] == [
        k.seed for k in (keys.master, keys.self_signing, keys.user_signing)
    ]
