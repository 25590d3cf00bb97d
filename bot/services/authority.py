"""Works out each person's `Authority` in an assembly from the configuration, the rooms' power
levels and the open meeting. The rules themselves are in `bot.domain.authority`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.domain.assembly import Assembly
from bot.domain.authority import Authority, WhoMayStart, moderator_everywhere
from bot.services.people import Membership
from bot.storage.meetings_store import MeetingsStore


class AuthorityService:
    def __init__(
        self,
        power: Membership,
        meetings: MeetingsStore,
        is_interpreter: Callable[[Assembly, str], Awaitable[bool]],
    ) -> None:
        self._power = power
        self._meetings = meetings
        self._is_interpreter = is_interpreter

    async def authority_of(self, assembly: Assembly, user_id: str) -> Authority:
        meeting = await self._meetings.open_meeting(assembly.name)
        chairs = await self._meetings.chairs(meeting.id) if meeting else []
        return Authority(
            user_id=user_id,
            standing=self.is_standing_chair(assembly, user_id),
            meeting_id=meeting.id if meeting else None,
            chairs_meeting=user_id in chairs,
            opened_meeting=meeting is not None and meeting.started_by == user_id,
            who_may_start=WhoMayStart(assembly.who_may_start),
            interpreter=await self._is_interpreter(assembly, user_id),
            members_may_fix=assembly.members_may_fix,
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
