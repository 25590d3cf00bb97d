"""Who sits in which room, as the homeserver tells it: asked through a protocol, so that the
layers below bot/matrix know nothing of Matrix."""

from __future__ import annotations

from typing import Protocol


class Membership(Protocol):
    """Who sits in which Matrix room, under which display name and with which power level; and
    what each room is called.

    The homeserver's answer is `bot.matrix.members.RoomMembers`; tests fake it with
    `tests.harness.fakes.Seats`.
    """

    def is_member(self, room_id: str, user_id: str) -> bool: ...
    def display_name(self, room_id: str, user_id: str) -> str: ...
    def power_level(self, room_id: str, user_id: str) -> int: ...
    def members(self, room_id: str) -> list[str]: ...
    def room_name(self, room_id: str) -> str: ...
