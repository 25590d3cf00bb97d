"""Which center a person belongs to, and which room is theirs.

Each member belongs to exactly one center: the center of the one assembly room they are in. A
bilingual member who sits in several rooms is counted with the room they are speaking from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.membership import Membership
from bot.domain.mentions import MemberName
from bot.domain.messages import Name
from bot.domain.names import ShownNames, clean_name, without_center
from bot.storage.people_store import PeopleStore
from bot.storage.runtime_store import now_ms


class People:
    """The assembly's people: each one's center, home room and name, read from `Membership`;
    with a store, the names are also kept for when the homeserver cannot say (`remember`)."""

    def __init__(
        self,
        membership: Membership,
        store: PeopleStore | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._membership = membership
        self._store = store
        self._clock = clock
        self._names = ShownNames(membership)

    async def remember(
        self, assembly: Assembly, user_id: str, spoken_in: str | None = None
    ) -> None:
        """Keep the person's name and center as now seen, for the minutes: a chair, someone
        marked present, a voter in an open poll. Someone who sits in no room is not kept.

        The name is kept as shown, told apart or not: the minutes tell their own people apart
        again when they are made, since who reads like whom depends on who is in the record
        (`bot.services.minutes`)."""
        if self._store is None or not self.is_member(assembly, user_id):
            return
        await self._store.remember(
            assembly.name,
            user_id,
            self.display_name(assembly, user_id),
            self.center_of(assembly, user_id, spoken_in),
            self._clock(),
        )

    def home_room(
        self, assembly: Assembly, user_id: str, spoken_in: str | None = None
    ) -> AssemblyRoom:
        rooms = [r for r in assembly.rooms if self._membership.is_member(r.room_id, user_id)]
        if len(rooms) == 1:
            return rooms[0]
        configured = assembly.configured_center(user_id)
        if configured is not None:
            # Someone of one center who also sits in the other's room still counts in theirs.
            of_center = [r for r in (*rooms, *assembly.rooms) if r.center == configured]
            return of_center[0]
        here = assembly.room(spoken_in) if spoken_in else None
        return here or (rooms[0] if rooms else assembly.rooms[0])

    def center_of(self, assembly: Assembly, user_id: str, spoken_in: str | None = None) -> str:
        return self.home_room(assembly, user_id, spoken_in).center

    def center_sizes(self, assembly: Assembly) -> dict[str, int]:
        """How many people each center has, in the assembly's order: everyone in its rooms,
        the bot not counted, each person once, in their own center."""
        people = {
            user for room in assembly.rooms for user in self._membership.members(room.room_id)
        }
        sizes = dict.fromkeys(assembly.centers, 0)
        for user in people:
            center = self.center_of(assembly, user)
            sizes[center] = sizes.get(center, 0) + 1
        return sizes

    def sits_in(self, room_id: str, user_id: str) -> bool:
        return self._membership.is_member(room_id, user_id)

    def is_member(self, assembly: Assembly, user_id: str) -> bool:
        """Whether the person sits in at least one of the assembly's rooms (and so may vote)."""
        return any(self._membership.is_member(r.room_id, user_id) for r in assembly.rooms)

    def roster(self, assembly: Assembly) -> tuple[MemberName, ...]:
        """Everyone who sits in the assembly's rooms, once each, with the names a command may
        call them by (`bot.domain.mentions.match_name`)."""
        members: dict[str, MemberName] = {}
        for room in assembly.rooms:
            for user_id in self._membership.members(room.room_id):
                if user_id not in members:
                    shown = clean_name(self._membership.display_name(room.room_id, user_id))
                    name = without_center(shown, assembly.centers)
                    center = self.center_of(assembly, user_id)
                    members[user_id] = MemberName(user_id, shown, name, center)
        return tuple(members.values())

    def display_name(self, assembly: Assembly, user_id: str) -> str:
        """The person's name as the bot shows it (`bot.domain.names.ShownNames`): cleaned,
        without a center it ends in, and told apart from names that read alike ("Ana [@ana]")."""
        return self._names.display_name(assembly, user_id)

    def display_names(self, assembly: Assembly, users: Iterable[str]) -> dict[str, str]:
        """Several people's names at once (a poll's voters), the rooms read once."""
        return self._names.display_names(assembly, users)

    def person(
        self, assembly: Assembly, user_id: str, spoken_in: str | None = None, *, bold: bool = True
    ) -> Name:
        """The person as every message names them: their shown name beside their center
        ("Ana (US)"). Someone who sits in none of the assembly's rooms has no center there."""
        center = self.center_of(assembly, user_id, spoken_in)
        seated = self.is_member(assembly, user_id)
        return Name(self.display_name(assembly, user_id), bold, center if seated else None)

    def bare_name(self, assembly: Assembly, user_id: str) -> str:
        """The person's name as they wrote it, cleaned and without its center, as it appears
        in other people's words (a mention): never told apart."""
        return self._names.bare_name(assembly, user_id)
