"""An assembly: the set of rooms, one per language and center, that together form one meeting."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.secrecy import DEFAULT_SECRET_FLOOR


@dataclass(frozen=True)
class AssemblyRoom:
    room_id: str
    language: str
    center: str
    timezone: str


@dataclass(frozen=True)
class Assembly:
    name: str
    rooms: tuple[AssemblyRoom, ...]
    chairs: tuple[str, ...] = ()
    power_level_chairs: bool = False
    who_may_start: str = "chairs"
    stack_policy: str = "alternate"
    turn_limit_seconds: int | None = None
    decision_rule: str = "majority"
    interpreters: tuple[str, ...] = ()
    members_may_fix: bool = False
    # (user id, center) for people configured to one center, whichever rooms they sit in.
    member_centers: tuple[tuple[str, str], ...] = ()
    # A secret poll shows a center's figures only from this many ballots there.
    secret_min_per_center: int = DEFAULT_SECRET_FLOOR
    # `!board` gives the board's link to anyone, in the room (else to chairs, privately).
    board_public: bool = False

    def configured_center(self, user_id: str) -> str | None:
        return next((center for user, center in self.member_centers if user == user_id), None)

    def room(self, room_id: str) -> AssemblyRoom | None:
        return next((r for r in self.rooms if r.room_id == room_id), None)

    def other_rooms(self, room_id: str) -> tuple[AssemblyRoom, ...]:
        return tuple(r for r in self.rooms if r.room_id != room_id)

    @property
    def centers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.center for r in self.rooms))

    @property
    def room_ids(self) -> tuple[str, ...]:
        return tuple(r.room_id for r in self.rooms)


class AssemblyDirectory:
    """Finds the assembly a room belongs to."""

    def __init__(self, assemblies: tuple[Assembly, ...]) -> None:
        self.assemblies = assemblies
        self._by_room = {room.room_id: a for a in assemblies for room in a.rooms}

    def for_room(self, room_id: str) -> Assembly | None:
        return self._by_room.get(room_id)

    def by_name(self, name: str) -> Assembly | None:
        return next((a for a in self.assemblies if a.name == name), None)

    @property
    def room_ids(self) -> set[str]:
        return set(self._by_room)


@dataclass(frozen=True)
class PrivateRoom:
    """A person's direct chat with the bot, where they vote in secret polls. `room` is the chat
    worded in the language of the person's own assembly room and counted in its center."""

    owner: str
    assembly: Assembly
    room: AssemblyRoom
