"""Invites: the bot joins the rooms of its configuration, and direct chats with members.

An invite to any other room is not taken, and not rejected either: it stays pending, so that
once the room is added to the configuration the bot accepts it at its next start. A sync after
the first one brings only invites sent since the stored sync position, so at start the pending
invites are asked for separately. Every room joined and every invite not taken is logged with
the room and who sent the invite.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from aiohttp import ClientError
from nio import AsyncClient, JoinResponse
from nio.api import MATRIX_API_PATH_V3

log = logging.getLogger(__name__)

PENDING_TIMEOUT_SECONDS = 60.0


class DirectInvites(Protocol):
    """Who may invite the bot to a direct chat, and what follows when it has joined."""

    def may_join(self, room_id: str, inviter: str) -> bool: ...
    async def joined(self, room_id: str, inviter: str) -> None: ...


@dataclass(frozen=True)
class Invite:
    room_id: str
    inviter: str
    is_direct: bool


def invite_of(user_id: str, room_id: str, stripped_state: Iterable[Any]) -> Invite | None:
    """The invite of `user_id` in a room's invite state (raw events), if there is one: an
    invited room's state holds every member event, and only the one for the bot counts."""
    for event in stripped_state:
        if not isinstance(event, Mapping):
            continue
        content = event.get("content")
        if (
            event.get("type") == "m.room.member"
            and event.get("state_key") == user_id
            and isinstance(content, Mapping)
            and content.get("membership") == "invite"
        ):
            sender = event.get("sender")
            return Invite(
                room_id,
                sender if isinstance(sender, str) else "",
                content.get("is_direct") is True,
            )
    return None


def raw_event(event: Any) -> Mapping[str, Any]:
    """A nio invite-state event as the homeserver sent it (nio moves `content` out of it)."""
    source = dict(getattr(event, "source", None) or {})
    content = getattr(event, "content", None)
    if "content" not in source and isinstance(content, Mapping):
        source["content"] = content
    return source


def pending_invites_filter(room_ids: Collection[str]) -> dict[str, Any]:
    """A sync filter that leaves out everything but invites: no timeline, state, receipts or
    account data. (A room list limits the rooms' events, never the invites.)"""
    nothing = {"not_types": ["*"]}
    return {
        "room": {
            "rooms": sorted(room_ids),
            "timeline": {**nothing, "limit": 1},
            "state": nothing,
            "ephemeral": nothing,
            "account_data": nothing,
        },
        "presence": nothing,
        "account_data": nothing,
    }


class Invites:
    def __init__(
        self,
        client: AsyncClient,
        user_id: str,
        room_ids: Callable[[], Collection[str]],
        direct: DirectInvites | None,
    ) -> None:
        self._client = client
        self._user_id = user_id
        self._room_ids = room_ids
        self._direct = direct
        # Every room joined through an invite since start.
        self.joined: set[str] = set()

    async def consider(self, room_id: str, invite_state: Iterable[Any]) -> None:
        """An invite as nio's sync brings it (the room's invite state, as nio events)."""
        invite = invite_of(self._user_id, room_id, (raw_event(event) for event in invite_state))
        if invite is not None:
            await self._take_or_leave(invite)

    async def accept_pending(self, handled: Collection[str] = ()) -> set[str]:
        """At start: take up the invites still pending, but those in `handled` (rooms whose
        invite the first sync brought, considered already). Returns the rooms joined."""
        joined = set()
        for invite in await self._pending():
            if invite.room_id not in handled and await self._take_or_leave(invite):
                joined.add(invite.room_id)
        return joined

    async def _take_or_leave(self, invite: Invite) -> bool:
        """Join the invite's room if it is the bot's to join; True if it did."""
        room_id, inviter = invite.room_id, invite.inviter
        configured = room_id in self._room_ids()
        direct = self._direct if invite.is_direct and not configured else None
        if not configured and direct is None:
            log.info(
                "not accepting the invite to %s from %s: not one of the configured rooms "
                "(it stays pending; add the room to the configuration and restart to accept it)",
                room_id,
                inviter,
            )
            return False
        if direct is not None and not direct.may_join(room_id, inviter):
            log.info(
                "not accepting the direct chat invite to %s from %s: not a member of an "
                "assembly, or already in a direct chat with the bot",
                room_id,
                inviter,
            )
            return False
        response = await self._client.join(room_id)
        if not isinstance(response, JoinResponse):
            log.warning("could not accept the invite to %s from %s: %s", room_id, inviter, response)
            return False
        log.info("joined %s (invited by %s)", room_id, inviter)
        self.joined.add(room_id)
        if direct is not None:
            await direct.joined(room_id, inviter)
        return True

    async def _pending(self) -> list[Invite]:
        """Every invite still pending, from a sync without a position (which alone lists old
        invites). Sent with nio's plain `send`, so that nio's own state (rooms, keys, to-device
        messages) is left alone; the token goes in a header, never in the address."""
        query = urlencode(
            {"timeout": "0", "filter": json.dumps(pending_invites_filter(self._room_ids()))}
        )
        headers = {"Authorization": f"Bearer {self._client.access_token}"}
        try:
            response = await self._client.send(
                "GET",
                f"{MATRIX_API_PATH_V3}/sync?{query}",
                headers=headers,
                timeout=PENDING_TIMEOUT_SECONDS,
            )
            try:
                if response.status != 200:
                    log.warning("could not list pending invites: HTTP %s", response.status)
                    return []
                data = await response.json()
            finally:
                response.release()
        except (ClientError, OSError, TimeoutError, ValueError) as error:
            log.warning("could not list pending invites: %s", type(error).__name__)
            return []
        return invites_in(self._user_id, data)


def invites_in(user_id: str, sync: Any) -> list[Invite]:
    """The bot's invites in a sync response (raw JSON), leaving out whatever is malformed."""
    rooms = sync.get("rooms") if isinstance(sync, Mapping) else None
    invited = rooms.get("invite") if isinstance(rooms, Mapping) else None
    found = []
    for room_id, room in (invited or {}).items():
        state = room.get("invite_state") if isinstance(room, Mapping) else None
        events = state.get("events") if isinstance(state, Mapping) else None
        if isinstance(events, list) and (invite := invite_of(user_id, room_id, events)):
            found.append(invite)
    return found
