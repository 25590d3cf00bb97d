"""The key endpoints matrix-nio leaves out: cross-signing keys in `/keys/query`, publishing
cross-signing keys (behind user-interactive authentication) and uploading signatures."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from nio import AsyncClient

API = "/_matrix/client/v3"
REQUEST_TIMEOUT_SECONDS = 30.0


class KeysApiError(Exception):
    def __init__(self, action: str, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.errcode = str(body.get("errcode", ""))
        message = body.get("error") or body
        super().__init__(f"{action} failed: HTTP {status} {self.errcode} {message}".strip())


class PasswordNeeded(KeysApiError):
    """The homeserver wants the account's password (user-interactive authentication)."""


class KeysApi:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def query(self, user_ids: Iterable[str]) -> dict[str, Any]:
        """Devices and cross-signing keys of these users, as the homeserver serves them."""
        body = {"device_keys": {user_id: [] for user_id in sorted(set(user_ids))}}
        return await self._request("POST", "/keys/query", body, "querying keys")

    async def upload_signing_keys(self, keys: dict[str, Any], password: str | None) -> None:
        """Publish cross-signing keys. The homeserver asks for the password, except (as Synapse
        does) for an account's very first keys; asked and given none, PasswordNeeded."""
        action = "publishing cross-signing keys"
        status, answer = await self._send("POST", "/keys/device_signing/upload", keys)
        if status == 200:
            return
        if status != 401 or "session" not in answer:
            raise KeysApiError(action, status, answer)
        if not password:
            raise PasswordNeeded(action, status, answer)
        auth = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": self._client.user_id},
            "password": password,
            "session": answer["session"],
        }
        await self._request("POST", "/keys/device_signing/upload", {**keys, "auth": auth}, action)

    async def upload_signatures(self, signed: dict[str, dict[str, Any]]) -> None:
        """Add signatures to keys: {user id: {device id or master key: the signed object}}."""
        answer = await self._request("POST", "/keys/signatures/upload", signed, "signing keys")
        if failures := answer.get("failures"):
            raise KeysApiError("signing keys", 200, {"error": json.dumps(failures)})

    async def _request(
        self, method: str, path: str, body: dict[str, Any], action: str
    ) -> dict[str, Any]:
        status, answer = await self._send(method, path, body)
        if status != 200:
            raise KeysApiError(action, status, answer)
        return answer

    async def _send(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict]:
        response = await self._client.send(
            method,
            API + path,
            json.dumps(body),
            headers={
                "Authorization": f"Bearer {self._client.access_token}",
                "Content-Type": "application/json",
            },
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
        try:
            answer = await response.json(content_type=None)
        except ValueError:
            answer = {}
        finally:
            response.release()
        return response.status, answer if isinstance(answer, dict) else {}
