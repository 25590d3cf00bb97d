"""Cross-signing as a test sees it, written apart from the bot's own code: canonical JSON built
here, Ed25519 from PyNaCl (the bot uses `cryptography`), plain HTTP to the homeserver.

It checks the signatures the bot publishes, and gives test people an identity of their own
(master, self-signing and user-signing keys, their device signed) as Element would.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

API = "/_matrix/client/v3"


def unpadded(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def unbase64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def canonical(signed: dict[str, Any]) -> bytes:
    """What a Matrix signature covers: the object without signatures and unsigned, keys
    sorted, no spaces, UTF-8."""
    bare = {k: v for k, v in signed.items() if k not in ("signatures", "unsigned")}
    return json.dumps(bare, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signed_by(signed: dict[str, Any], user_id: str, public_key: str) -> bool:
    """Whether `signed` carries a valid signature of `public_key` (labelled with itself)."""
    signature = signed.get("signatures", {}).get(user_id, {}).get(f"ed25519:{public_key}")
    if signature is None:
        return False
    try:
        VerifyKey(unbase64(public_key)).verify(canonical(signed), unbase64(signature))
    except BadSignatureError:
        return False
    return True


def only_key(key_object: dict[str, Any]) -> str:
    """The public key of a cross-signing key object."""
    ((name, key),) = key_object["keys"].items()
    assert name == f"ed25519:{key}"
    return str(key)


async def request(
    base_url: str, token: str, method: str, path: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            base_url + API + path,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


async def keys_query(base_url: str, token: str, *user_ids: str) -> dict[str, Any]:
    status, answer = await request(
        base_url, token, "POST", "/keys/query", {"device_keys": {u: [] for u in user_ids}}
    )
    assert status == 200, answer
    return answer


@dataclass
class ClientIdentity:
    """A person's cross-signing keys, made the way a client makes them."""

    user_id: str
    master: SigningKey = field(default_factory=SigningKey.generate)
    self_signing: SigningKey = field(default_factory=SigningKey.generate)
    user_signing: SigningKey = field(default_factory=SigningKey.generate)

    @staticmethod
    def public(key: SigningKey) -> str:
        return unpadded(bytes(key.verify_key))

    @property
    def master_key(self) -> str:
        return self.public(self.master)

    def sign(self, key: SigningKey, signed: dict[str, Any]) -> dict[str, Any]:
        signature = unpadded(key.sign(canonical(signed)).signature)
        label = f"ed25519:{self.public(key)}"
        return {**signed, "signatures": {self.user_id: {label: signature}}}

    def key_object(self, key: SigningKey, usage: str) -> dict[str, Any]:
        public = self.public(key)
        return {"user_id": self.user_id, "usage": [usage], "keys": {f"ed25519:{public}": public}}

    async def publish(self, base_url: str, token: str, password: str) -> None:
        """Upload the keys, answering the homeserver's password challenge if it makes one."""
        body = {
            "master_key": self.key_object(self.master, "master"),
            "self_signing_key": self.sign(
                self.master, self.key_object(self.self_signing, "self_signing")
            ),
            "user_signing_key": self.sign(
                self.master, self.key_object(self.user_signing, "user_signing")
            ),
        }
        path = "/keys/device_signing/upload"
        status, answer = await request(base_url, token, "POST", path, body)
        if status == 401:
            body["auth"] = {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": self.user_id},
                "password": password,
                "session": answer["session"],
            }
            status, answer = await request(base_url, token, "POST", path, body)
        assert status == 200, answer

    async def sign_device(self, base_url: str, token: str, device_id: str) -> None:
        """Sign one of the person's own devices, as verifying a new session does."""
        answer = await keys_query(base_url, token, self.user_id)
        device = answer["device_keys"][self.user_id][device_id]
        bare = {k: v for k, v in device.items() if k not in ("signatures", "unsigned")}
        signed = {self.user_id: {device_id: self.sign(self.self_signing, bare)}}
        status, result = await request(base_url, token, "POST", "/keys/signatures/upload", signed)
        assert status == 200 and not result.get("failures"), result
