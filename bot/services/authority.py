"""Works out each person's `Authority` in an assembly from the configuration, the rooms' power
levels and the open meeting, and who holds the chairs' roles now. The rules themselves are in
`bot.domain.authority`."""

from __future__ import annotations

from typing import Protocol

from bot.domain.assembly import Assembly
from bot.domain.authority import Authority, Chair, ChairsNow, WhoMayStart, moderator_everywhere
from bot.domain.membership import Membership
from bot.services.people import People
from bot.storage.meetings_store import MeetingsStore


class InterpreterRoster(Protocol):
    """Who interprets for an assembly (bot.services.interpretation)."""

    async def is_interpreter(self, assembly: Assembly, user_id: str) -> bool: ...
    async def interpreters(self, assembly: Assembly) -> list[str]: ...


class AuthorityService:
    def __init__(
        self,
        power: Membership,
        meetings: MeetingsStore,
        people: People,
        interpreters: InterpreterRoster,
    ) -> None:
        self._power = power
        self._meetings = meetings
        self._people = people
        self._interpreters = interpreters

    async def authority_of(self, assembly: Assembly, user_id: str) -> Authority:
        meeting = await self._meetings.open_meeting(assembly.name)
        chairs = await self._meetings.chairs(meeting.id) if meeting else []
        speaking = await self._meetings.current_turn(meeting.id) if meeting else None
        return Authority(
            user_id=user_id,
            standing=self.is_standing_chair(assembly, user_id),
            meeting_id=meeting.id if meeting else None,
            chairs_meeting=user_id in chairs,
            opened_meeting=meeting is not None and meeting.started_by == user_id,
            who_may_start=WhoMayStart(assembly.who_may_start),
            interpreter=await self._interpreters.is_interpreter(assembly, user_id),
            members_may_fix=assembly.members_may_fix,
            holds_floor=speaking is not None and speaking.user_id == user_id,
            board_public=assembly.board_public,
        )

    def is_standing_chair(self, assembly: Assembly, user_id: str) -> bool:
        """Named in the configuration, or (opted in) a moderator in every room of the assembly."""
        if user_id in assembly.chairs:
            return True
        if not assembly.power_level_chairs:
            return False
        return moderator_everywhere(
            [self._power.power_level(room_id, user_id) for room_id in assembly.room_ids]
        )

    def standing_chairs(self, assembly: Assembly) -> list[str]:
        """The configured chairs, then (opted in) the people who moderate every room."""
        found = list(assembly.chairs)
        if assembly.power_level_chairs:
            seated = (user for room in assembly.room_ids for user in self._power.members(room))
            found += [user for user in seated if self.is_standing_chair(assembly, user)]
        return list(dict.fromkeys(found))

    async def chairs_now(self, assembly: Assembly) -> ChairsNow:
        """Who may chair right now, named as the rooms know them."""
        standing = tuple(self._chair(assembly, user) for user in self.standing_chairs(assembly))
        interpreters = tuple(
            self._chair(assembly, user) for user in await self._interpreters.interpreters(assembly)
        )
        meeting = await self._meetings.open_meeting(assembly.name)
        if meeting is None:
            return ChairsNow(standing, interpreters=interpreters)
        chairs = await self._meetings.chairs(meeting.id)
        speaking = await self._meetings.current_turn(meeting.id)
        return ChairsNow(
            standing,
            meeting=tuple(self._chair(assembly, user) for user in chairs),
            opener=self._chair(assembly, meeting.started_by),
            interpreters=interpreters,
            speaker=self._chair(assembly, speaking.user_id) if speaking else None,
        )

    def _chair(self, assembly: Assembly, user_id: str) -> Chair:
        if not self._people.is_member(assembly, user_id):
            return Chair(user_id, user_id)
        name = self._people.display_name(assembly, user_id)
        return Chair(user_id, name, self._people.center_of(assembly, user_id))
