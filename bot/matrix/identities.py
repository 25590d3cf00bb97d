"""People's cross-signing identities as `/keys/query` reports them, with the chain checked.

A user's master key signs their self-signing key, which signs each of their devices. A device
counts as its owner's only if both signatures hold; whatever the homeserver says beside them
(unsigned keys, a self-signing key the master key never signed) counts for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.matrix.signing import signature_valid

MASTER = "master"
SELF_SIGNING = "self_signing"
USER_SIGNING = "user_signing"


@dataclass(frozen=True)
class Identity:
    user_id: str
    master: str  # the master public key: the identity itself
    # The master key object as served, with every signature on it that we may see.
    master_object: dict[str, Any] = field(default_factory=dict, compare=False)
    # None where missing or not signed by the master key.
    self_signing: str | None = None
    user_signing: str | None = None  # only a user's own query shows it
    # Devices signed by the self-signing key: device id → the device's Ed25519 key so signed.
    signed_devices: Mapping[str, str] = field(default_factory=dict)

    def signs(self, device_id: str, ed25519: str | None) -> bool:
        """Whether this identity vouches for the device with this key."""
        return bool(ed25519) and self.signed_devices.get(device_id) == ed25519

    def verified_by(self, user_id: str, user_signing_key: str) -> bool:
        """Whether `user_id` signed this master key with their user-signing key."""
        return signature_valid(self.master_object, user_id, user_signing_key)


def cross_signing_key(value: Any, user_id: str, usage: str) -> str | None:
    """The public key of a cross-signing key object of `user_id` for `usage`, if well formed."""
    if not isinstance(value, dict) or value.get("user_id") != user_id:
        return None
    if usage not in (value.get("usage") or ()):
        return None
    keys = value.get("keys")
    if not isinstance(keys, dict) or len(keys) != 1:
        return None
    ((name, key),) = keys.items()
    if not isinstance(key, str) or name != f"ed25519:{key}":
        return None
    return key


def identities_from_query(body: Mapping[str, Any]) -> dict[str, Identity]:
    """Every user with a master key in a `/keys/query` answer, each with the chain checked."""
    found = {}
    masters = body.get("master_keys") or {}
    for user_id, master_object in masters.items():
        master = cross_signing_key(master_object, user_id, MASTER)
        if master is None:
            continue
        self_signing = _signed_by_master(body, SELF_SIGNING, user_id, master)
        devices = (body.get("device_keys") or {}).get(user_id) or {}
        found[user_id] = Identity(
            user_id=user_id,
            master=master,
            master_object=master_object,
            self_signing=self_signing,
            user_signing=_signed_by_master(body, USER_SIGNING, user_id, master),
            signed_devices=_signed_devices(devices, user_id, self_signing),
        )
    return found


def _signed_by_master(body: Mapping[str, Any], usage: str, user_id: str, master: str) -> str | None:
    value = (body.get(f"{usage}_keys") or {}).get(user_id)
    key = cross_signing_key(value, user_id, usage)
    if key is None or not signature_valid(value, user_id, master):
        return None
    return key


def _signed_devices(
    devices: Mapping[str, Any], user_id: str, self_signing: str | None
) -> dict[str, str]:
    if self_signing is None:
        return {}
    signed = {}
    for device_id, payload in devices.items():
        if not isinstance(payload, dict) or payload.get("user_id") != user_id:
            continue
        if payload.get("device_id") != device_id:
            continue
        key = (payload.get("keys") or {}).get(f"ed25519:{device_id}")
        if isinstance(key, str) and signature_valid(payload, user_id, self_signing):
            signed[device_id] = key
    return signed


def users_without_identity(body: Mapping[str, Any]) -> set[str]:
    """Users the answer reports devices for but no master key: they have no identity (yet)."""
    return set(body.get("device_keys") or {}) - set(body.get("master_keys") or {})
