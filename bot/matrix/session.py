"""The bot's session with its homeserver: logging in once and reusing the session after, and
finding the configured rooms. Done before anything else is built, since the rooms found decide
the assemblies."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from nio import AsyncClient, LoginResponse, RoomResolveAliasResponse, WhoamiResponse

from bot.config import MatrixSettings
from bot.storage.runtime_store import RuntimeStore

log = logging.getLogger(__name__)

ACCESS_TOKEN = "matrix.access_token"
DEVICE_ID = "matrix.device_id"


class FatalMatrixError(Exception):
    """The bot cannot go on (for instance its access token was rejected)."""


class Session:
    def __init__(self, client: AsyncClient, settings: MatrixSettings, store: RuntimeStore) -> None:
        self.client = client
        self._settings = settings
        self._store = store

    async def login(self) -> None:
        """Reuse the stored (or configured) token and device; log in with the password otherwise."""
        token = self._settings.access_token or await self._store.get_value(ACCESS_TOKEN)
        device_id = await self._store.get_value(DEVICE_ID)
        if token and await self._restore(token, device_id):
            return
        if self._settings.access_token:
            raise FatalMatrixError(
                "the homeserver rejected matrix.access_token; create a new token for the bot"
            )
        if not self._settings.password:
            raise FatalMatrixError("no valid access token and no matrix.password to log in with")
        if device_id:
            self.client.device_id = device_id  # nio logs in to this device, keeping one session
        response = await self.client.login(
            self._settings.password, device_name=self._settings.device_name
        )
        if not isinstance(response, LoginResponse):
            raise FatalMatrixError(f"login as {self._settings.user_id} failed: {response}")
        await self._store.set_value(ACCESS_TOKEN, response.access_token)
        await self._store.set_value(DEVICE_ID, response.device_id)
        log.info("logged in as %s (device %s)", response.user_id, response.device_id)

    async def _restore(self, token: str, device_id: str | None) -> bool:
        # Ask who we are first: restore_login opens the crypto store, which needs the device id.
        self.client.user_id, self.client.access_token = self._settings.user_id, token
        response = await self.client.whoami()
        if isinstance(response, WhoamiResponse):
            if response.device_id and response.device_id != device_id:
                await self._store.set_value(DEVICE_ID, response.device_id)
            device_id = response.device_id or device_id
            if device_id:
                self.client.restore_login(self._settings.user_id, device_id, token)
            return True
        if getattr(response, "status_code", None) in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
            log.warning("stored access token no longer valid; logging in again")
            await self._store.delete_value(ACCESS_TOKEN)
            self.client.access_token = ""
            return False
        raise FatalMatrixError(f"could not reach the homeserver to check the token: {response}")

    async def resolve_rooms(self, references: Iterable[str]) -> dict[str, str]:
        """Room ids for configured ids and aliases; unresolvable aliases are logged and left out."""
        resolved = {}
        for reference in references:
            if reference.startswith("!"):
                resolved[reference] = reference
                continue
            response = await self.client.room_resolve_alias(reference)
            if isinstance(response, RoomResolveAliasResponse):
                resolved[reference] = response.room_id
            else:
                log.error("cannot resolve room alias %s: %s", reference, response)
        return resolved

