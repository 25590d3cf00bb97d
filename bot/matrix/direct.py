"""Direct chats between the bot and one person, where secret ballots are cast.

The bot creates one (marked `is_direct`, the person invited, encrypted when the bot has
encryption on, history hidden from anyone who might join later, and only the bot able to
invite), or accepts one a person invites it to; from then on the runtime syncs it like an
assembly room, though it never becomes one. A chat is a ballot chat only while exactly the bot
and its person are in it (joined or invited).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol
from urllib.parse import quote

from nio import AsyncClient, RoomCreateResponse, RoomGetStateResponse, RoomPreset
from nio.api import MATRIX_API_PATH_V3

from bot.storage.runtime_store import RuntimeStore, now_ms

log = logging.getLogger(__name__)

MEGOLM = "m.megolm.v1.aes-sha2"
# Only the bot (power 100 as the chat's creator) may invite: a member cannot bring a third
# person into their own ballot chat.
INVITE_LEVEL = 100
PEOPLE_MEMBERSHIPS = ("join", "invite")


class WatchedRooms(Protocol):
    def watch(self, room_id: str) -> None: ...


class DirectChats:
    def __init__(
        self, client: AsyncClient, runtime: WatchedRooms, store: RuntimeStore, *, encrypted: bool
    ) -> None:
        self._client = client
        self._runtime = runtime
        self._store = store
        self._encrypted = encrypted

    async def open_with(self, user_id: str) -> str | None:
        response = await self._client.room_create(
            preset=RoomPreset.private_chat,
            is_direct=True,
            invite=[user_id],
            initial_state=self._initial_state(),
            power_level_override={"invite": INVITE_LEVEL},
        )
        if not isinstance(response, RoomCreateResponse):
            log.warning("could not create a direct chat with %s: %s", user_id, response)
            return None
        if self._encrypted:
            # Known encrypted before any sync brings it: nothing goes there in the clear.
            self._client.encrypted_rooms.add(response.room_id)
        log.info("created direct chat %s with %s", response.room_id, user_id)
        return response.room_id

    def _initial_state(self) -> list[dict[str, Any]]:
        # Whoever might join later reads nothing from before they joined.
        state: list[dict[str, Any]] = [
            {
                "type": "m.room.history_visibility",
                "state_key": "",
                "content": {"history_visibility": "joined"},
            }
        ]
        if self._encrypted:
            # Encrypted from its first event: the homeserver keeps the votes only as ciphertext.
            state.append(
                {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}
            )
        return state

    async def watch(self, room_id: str) -> None:
        self._runtime.watch(room_id)
        # The bot is in the chat from now on: what came before is history, never acted on.
        await self._store.record_join(room_id, now_ms())

    def is_open(self, room_id: str, user_id: str) -> bool:
        """False once the person is known to have left the chat."""
        room = self._client.rooms.get(room_id)
        return room is None or user_id in room.users

    def is_private(self, room_id: str, user_id: str) -> bool:
        """Whether only the bot and `user_id` are in the chat (joined or invited), as far as
        the synced state tells; a chat not synced yet is taken as made."""
        room = self._client.rooms.get(room_id)
        if room is None:
            return True
        return set(room.users) <= {self._client.user_id, user_id}

    async def people_in(self, room_id: str) -> set[str] | None:
        """Everyone joined or invited, asked of the homeserver (for a chat just joined, which
        no sync has brought yet); None if it could not say."""
        response = await self._client.room_get_state(room_id)
        if not isinstance(response, RoomGetStateResponse):
            log.warning("could not read the members of %s: %s", room_id, response)
            return None
        return {
            event["state_key"]
            for event in response.events
            if event.get("type") == "m.room.member"
            and isinstance(event.get("state_key"), str)
            and (event.get("content") or {}).get("membership") in PEOPLE_MEMBERSHIPS
        }

    async def decline(self, room_id: str, reason: str) -> None:
        """Leave (or refuse the invite to) a chat, with a reason the person's client shows."""
        path = f"{MATRIX_API_PATH_V3}/rooms/{quote(room_id, safe='')}/leave"
        headers = {"Authorization": f"Bearer {self._client.access_token}"}
        try:
            body = {"reason": reason} if reason else {}
            response = await self._client.send("POST", path, data=json.dumps(body), headers=headers)
            response.release()
        except Exception as error:  # the chat stays unused either way
            log.warning("could not leave %s: %r", room_id, error)
