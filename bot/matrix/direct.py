"""Direct chats between the bot and one person, where secret ballots are cast.

The bot creates one (marked `is_direct`, the person invited, encrypted when the bot has
encryption on), or accepts one a person invites it to; from then on the runtime syncs it like
an assembly room, though it never becomes one.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from nio import AsyncClient, RoomCreateResponse, RoomPreset

from bot.storage.runtime_store import RuntimeStore, now_ms

log = logging.getLogger(__name__)

MEGOLM = "m.megolm.v1.aes-sha2"


# How long a new chat may take to come in by sync before its ballots are sent anyway.
SYNC_WAIT_SECONDS = 120.0


class SyncedRooms(Protocol):
    room_ids: set[str]

    async def until_synced(self, room_id: str, timeout: float) -> bool: ...


class DirectChats:
    def __init__(
        self, client: AsyncClient, runtime: SyncedRooms, store: RuntimeStore, *, encrypted: bool
    ) -> None:
        self._client = client
        self._runtime = runtime
        self._store = store
        self._encrypted = encrypted

    async def open_with(self, user_id: str) -> str | None:
        state: list[dict[str, Any]] = []
        if self._encrypted:
            # Encrypted from its first event: the homeserver keeps the votes only as ciphertext.
            state.append(
                {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}
            )
        response = await self._client.room_create(
            preset=RoomPreset.private_chat,
            is_direct=True,
            invite=[user_id],
            initial_state=state,
        )
        if not isinstance(response, RoomCreateResponse):
            log.warning("could not create a direct chat with %s: %s", user_id, response)
            return None
        log.info("created direct chat %s with %s", response.room_id, user_id)
        return response.room_id

    async def watch(self, room_id: str) -> None:
        self._runtime.room_ids.add(room_id)
        # The bot is in the chat from now on: what came before is history, never acted on.
        await self._store.record_join(room_id, now_ms())

    async def ready(self, room_id: str) -> None:
        """Wait, if the bot encrypts, until a sync has brought the chat in: nio encrypts only
        for rooms it has synced, and a ballot sent too early would be refused."""
        if getattr(self._client, "olm", None) is None:
            return
        if not await self._runtime.until_synced(room_id, SYNC_WAIT_SECONDS):
            log.warning("direct chat %s has not come in by sync yet", room_id)

    def is_open(self, room_id: str, user_id: str) -> bool:
        room = self._client.rooms.get(room_id)
        return room is None or user_id in room.users
