"""What the homeserver says about people in our rooms (names, membership, power levels) and
about the rooms themselves (their names).

Read from matrix-nio's room state, which the sync loop keeps current.
"""

from __future__ import annotations

from nio import AsyncClient


class RoomMembers:
    """The `Membership` the homeserver reports (`bot.domain.membership.Membership`)."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    def display_name(self, room_id: str, user_id: str) -> str:
        """The name as its holder set it in the room. Not nio's `user_name`, which adds the id
        only when two members of the same room share a name exactly: the bot tells apart
        names that merely read alike, across all of an assembly's rooms
        (`bot.domain.names.told_apart`)."""
        room = self._client.rooms.get(room_id)
        user = room.users.get(user_id) if room else None
        return (user.display_name if user else None) or user_id

    def is_member(self, room_id: str, user_id: str) -> bool:
        """Joined: someone only invited is not a member (nio's `users` holds both)."""
        room = self._client.rooms.get(room_id)
        return bool(room and user_id in room.users and user_id not in room.invited_users)

    def members(self, room_id: str) -> list[str]:
        """The people who have joined the room, the bot itself not counted."""
        room = self._client.rooms.get(room_id)
        if room is None:
            return []
        return [
            user
            for user in room.users
            if user != self._client.user_id and user not in room.invited_users
        ]

    def power_level(self, room_id: str, user_id: str) -> int:
        room = self._client.rooms.get(room_id)
        return room.power_levels.get_user_level(user_id) if room else 0

    def room_name(self, room_id: str) -> str:
        """The room's name (m.room.name), else its alias, else its id."""
        room = self._client.rooms.get(room_id)
        if room is None:
            return room_id
        return room.name or room.canonical_alias or room_id
