"""The bot's own cross-signing identity: made once, kept in the crypto store, published, and
used to sign the bot's device and the master keys of people the operator has verified.

Clients such as Element warn about (and are moving to shut out) devices their owner has not
signed; with an identity of its own the bot's device is signed like any person's. The private
keys never leave the crypto store. An identity the account already has and the bot does not hold
(made in Element, say) is never replaced silently: the bot says so and goes on without one.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.matrix.identities import (
    MASTER,
    SELF_SIGNING,
    USER_SIGNING,
    Identity,
    identities_from_query,
)
from bot.matrix.keys_api import KeysApi, PasswordNeeded
from bot.matrix.signing import (
    SigningKey,
    decode_base64,
    encode_base64,
    fingerprint,
    signature_valid,
)
from bot.storage.private_files import private_folder, write_private_text

log = logging.getLogger(__name__)

KEYS_FILE = "cross-signing.json"


@dataclass(frozen=True)
class CrossSigningKeys:
    """The three private keys of one account's identity."""

    user_id: str
    master: SigningKey
    self_signing: SigningKey
    user_signing: SigningKey

    @classmethod
    def generate(cls, user_id: str) -> CrossSigningKeys:
        return cls(user_id, SigningKey.generate(), SigningKey.generate(), SigningKey.generate())

    def public_keys(self) -> dict[str, Any]:
        """What `/keys/device_signing/upload` takes: the master key, and the other two signed
        by it."""
        return {
            "master_key": self._key_object(self.master, MASTER),
            "self_signing_key": self.master.sign(
                self._key_object(self.self_signing, SELF_SIGNING), self.user_id
            ),
            "user_signing_key": self.master.sign(
                self._key_object(self.user_signing, USER_SIGNING), self.user_id
            ),
        }

    def _key_object(self, key: SigningKey, usage: str) -> dict[str, Any]:
        return {"user_id": self.user_id, "usage": [usage], "keys": {key.key_id: key.public_key}}

    def device_signature(self, device_keys: dict[str, Any]) -> dict[str, Any]:
        """One of the bot's devices, signed by the self-signing key (only that signature
        travels: the homeserver adds it to those it has)."""
        return self.self_signing.sign(_bare(device_keys), self.user_id)

    def master_key_signature(self, master_object: dict[str, Any]) -> dict[str, Any]:
        """Someone's master key, signed by the user-signing key: the bot vouches for them."""
        return self.user_signing.sign(_bare(master_object), self.user_id)

    def owns(self, identity: Identity) -> bool:
        """Whether the published identity is this one (so the bot can sign with it)."""
        return (
            identity.master == self.master.public_key
            and identity.self_signing == self.self_signing.public_key
        )

    # -- the file in the crypto store -----------------------------------------------------------

    def save(self, folder: Path) -> None:
        seeds = {
            "user_id": self.user_id,
            MASTER: encode_base64(self.master.seed),
            SELF_SIGNING: encode_base64(self.self_signing.seed),
            USER_SIGNING: encode_base64(self.user_signing.seed),
        }
        write_private_text(private_folder(folder) / KEYS_FILE, json.dumps(seeds, indent=2))

    @classmethod
    def load(cls, folder: Path) -> CrossSigningKeys | None:
        path = folder / KEYS_FILE
        if not path.exists():
            return None
        try:
            seeds = json.loads(path.read_text(encoding="utf-8"))
            usages = (MASTER, SELF_SIGNING, USER_SIGNING)
            return cls(seeds["user_id"], *(SigningKey(decode_base64(seeds[u])) for u in usages))
        except (KeyError, TypeError, ValueError) as error:
            message = f"{path} is damaged ({error}); restore it from a backup"
            raise CrossSigningError(message) from error


def _bare(signed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in signed.items() if k not in ("signatures", "unsigned")}


class CrossSigningError(Exception):
    """The bot's identity cannot be set up; the message says what the operator can do."""


@dataclass(frozen=True)
class OwnIdentity:
    """Where the bot's identity stands after settling it."""

    keys: CrossSigningKeys | None  # held and published: the bot can sign with them
    master: str | None  # the account's master key on the homeserver, whoever holds it
    device_signed: bool
    summary: str


def reset_advice(config_hint: str) -> str:
    return (
        "To give the bot one of its own, run `asamblea crypto bootstrap --reset "
        f"{config_hint}`, or reset the identity in a client signed in as the bot (Element: "
        "reset cross-signing, or reset cryptographic identity) and restart the bot; to use keys "
        f"the bot held before, restore {KEYS_FILE} into its crypto store from a backup"
    )


class OwnIdentitySetup:
    """Settles the bot's identity, safe to run at every start: it makes keys only when the
    account has none, and signs the device only when it is not signed yet.

    The device is signed only if the homeserver serves it with `device_key`, the Ed25519 key the
    bot's crypto store holds for it: the bot vouches for its own device, never for whatever a
    homeserver calls by its id. Without `device_key` the device is left for the bot to sign at its
    next start."""

    def __init__(
        self,
        api: KeysApi,
        folder: Path,
        user_id: str,
        device_id: str,
        device_key: str | None = None,
    ) -> None:
        self._api = api
        self._folder = folder
        self._user_id = user_id
        self._device_id = device_id
        self._device_key = device_key

    async def settle(
        self, password: str | None, *, reset: bool = False, config_hint: str = "--config …"
    ) -> OwnIdentity:
        held = CrossSigningKeys.load(self._folder)
        if held is not None and held.user_id != self._user_id:
            raise CrossSigningError(
                f"{self._folder / KEYS_FILE} holds the identity of {held.user_id}, "
                f"not of {self._user_id}; move it away to let the bot make a new one"
            )
        published = await self._published()
        if published is not None and (held is None or not held.owns(published)):
            if not reset:
                return OwnIdentity(
                    None,
                    published.master,
                    False,
                    f"the account {self._user_id} already has a cross-signing identity "
                    f"(master key {fingerprint(published.master)}) whose keys the bot does not "
                    f"hold, so its device stays unsigned. {reset_advice(config_hint)}",
                )
            held, published = None, None
        if published is None:
            if held is None:
                held = CrossSigningKeys.generate(self._user_id)
                held.save(self._folder)  # kept before publishing, so a failure loses nothing
            try:
                await self._api.upload_signing_keys(held.public_keys(), password)
            except PasswordNeeded:
                return OwnIdentity(
                    None,
                    None,
                    False,
                    f"the account {self._user_id} has no cross-signing identity, and the "
                    "homeserver wants the password to publish one; run `asamblea crypto "
                    f"bootstrap {config_hint}` (it asks for the password, or reads "
                    "ASAMBLEA_PASSWORD)",
                )
            log.info("published the cross-signing identity of %s", self._user_id)
        signed = await self._sign_device(held)
        state = "signed" if signed else "to be signed by the bot at its next start"
        return OwnIdentity(
            held,
            held.master.public_key,
            signed,
            f"cross-signing identity of {self._user_id}: master key "
            f"{fingerprint(held.master.public_key)}; device {self._device_id} {state}",
        )

    async def _published(self) -> Identity | None:
        answer = await self._api.query([self._user_id])
        return identities_from_query(answer).get(self._user_id)

    async def _sign_device(self, keys: CrossSigningKeys) -> bool:
        if self._device_key is None:
            return False
        answer = await self._api.query([self._user_id])
        identity = identities_from_query(answer).get(self._user_id)
        device = ((answer.get("device_keys") or {}).get(self._user_id) or {}).get(self._device_id)
        if identity is not None and identity.signs(self._device_id, self._device_key):
            return True
        if not self._is_own_device(device):
            log.warning(
                "device %s is not published with the bot's own key yet; not signing it",
                self._device_id,
            )
            return False
        signed = keys.device_signature(device)
        await self._api.upload_signatures({self._user_id: {self._device_id: signed}})
        log.info("signed device %s with the bot's self-signing key", self._device_id)
        return True

    def _is_own_device(self, device: Any) -> bool:
        if not isinstance(device, dict) or self._device_key is None:
            return False
        key = (device.get("keys") or {}).get(f"ed25519:{self._device_id}")
        return key == self._device_key and signature_valid(
            device, self._user_id, self._device_key, key_name=self._device_id
        )
