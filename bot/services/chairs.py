"""Who may run the meeting: configured chairs, meeting chairs and, if enabled, room moderators.

Configured chairs and moderators (power >= 50) are chairs of every meeting; a meeting's own chairs
(the person who started it, and whoever the chairs added) come from the services that keep
meetings, registered with `add_source`.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain.assembly import Assembly

MODERATOR_POWER = 50


class PowerLevels(Protocol):
    def power_level(self, room_id: str, user_id: str) -> int: ...


class ChairSource(Protocol):
    async def is_meeting_chair(self, assembly: Assembly, user_id: str) -> bool: ...


class ChairService:
    def __init__(self, power: PowerLevels) -> None:
        self._power = power
        self._sources: list[ChairSource] = []

    def add_source(self, source: ChairSource) -> None:
        self._sources.append(source)

    async def is_chair(self, assembly: Assembly, user_id: str) -> bool:
        if self.is_standing_chair(assembly, user_id):
            return True
        for source in self._sources:
            if await source.is_meeting_chair(assembly, user_id):
                return True
        return False

    def is_standing_chair(self, assembly: Assembly, user_id: str) -> bool:
        """A chair of every meeting, by configuration or power level (not removable by command)."""
        if user_id in assembly.chairs:
            return True
        if assembly.power_level_chairs:
            return any(
                self._power.power_level(room_id, user_id) >= MODERATOR_POWER
                for room_id in assembly.room_ids
            )
        return False
