"""Signed JSON as Matrix defines it: canonical JSON, Ed25519, unpadded base64.

A signature covers the object's canonical form without its `signatures` and `unsigned` members,
so that signatures can be added to an object (and servers can annotate it) without breaking the
ones already there.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SEED_BYTES = 32
UNSIGNED_MEMBERS = ("signatures", "unsigned")


def encode_base64(data: bytes) -> str:
    """Unpadded standard base64, the form Matrix uses for keys and signatures."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def decode_base64(text: str) -> bytes:
    """Unpadded (or padded) base64; ValueError if it is not base64."""
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error as error:
        raise ValueError(f"not base64: {text!r}") from error


def canonical_json(value: Any) -> bytes:
    """Keys sorted, no whitespace, UTF-8 as such (not \\u escapes). Matrix's signed objects hold
    no floats, so Python's integer and string forms are already the canonical ones."""
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def signing_bytes(signed: dict[str, Any]) -> bytes:
    """What a signature of `signed` covers."""
    return canonical_json({k: v for k, v in signed.items() if k not in UNSIGNED_MEMBERS})


class SigningKey:
    """An Ed25519 key pair, kept as its 32-byte seed."""

    def __init__(self, seed: bytes) -> None:
        if len(seed) != SEED_BYTES:
            raise ValueError("an Ed25519 seed is 32 bytes")
        self.seed = seed
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        raw = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = encode_base64(raw)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(secrets.token_bytes(SEED_BYTES))

    @property
    def key_id(self) -> str:
        """How signatures by this key are labelled: `ed25519:` and the public key itself."""
        return f"ed25519:{self.public_key}"

    def signature(self, signed: dict[str, Any]) -> str:
        return encode_base64(self._private.sign(signing_bytes(signed)))

    def sign(self, signed: dict[str, Any], user_id: str) -> dict[str, Any]:
        """A copy of `signed` with this key's signature added beside those it already has."""
        signature = self.signature(signed)
        signatures = {user: dict(keys) for user, keys in signed.get("signatures", {}).items()}
        signatures.setdefault(user_id, {})[self.key_id] = signature
        return {**signed, "signatures": signatures}


def signature_valid(
    signed: dict[str, Any], user_id: str, public_key: str, key_name: str | None = None
) -> bool:
    """Whether `signed` carries a valid signature by `public_key`, listed under `user_id` as
    `ed25519:<key_name>` (a device signs under its device id, a cross-signing key under itself)."""
    signatures = signed.get("signatures")
    by_user = signatures.get(user_id) if isinstance(signatures, dict) else None
    label = f"ed25519:{key_name or public_key}"
    signature = by_user.get(label) if isinstance(by_user, dict) else None
    if not isinstance(signature, str):
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(decode_base64(public_key))
        key.verify(decode_base64(signature), signing_bytes(signed))
    except (ValueError, InvalidSignature):
        return False
    return True


def fingerprint(public_key: str) -> str:
    """A public key as people compare it aloud: in groups of four."""
    return " ".join(public_key[i : i + 4] for i in range(0, len(public_key), 4))
