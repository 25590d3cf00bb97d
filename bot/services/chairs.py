"""Who may run the meeting: configured chairs and, if enabled, room moderators (power >= 50)."""

from __future__ import annotations

from typing import Protocol

from bot.domain.assembly import Assembly

MODERATOR_POWER = 50


class PowerLevels(Protocol):
    def power_level(self, room_id: str, user_id: str) -> int: ...


class ChairService:
    def __init__(self, power: PowerLevels) -> None:
        self._power = power

    async def is_chair(self, assembly: Assembly, user_id: str) -> bool:
        if user_id in assembly.chairs:
            return True
        if assembly.power_level_chairs:
            return any(
                self._power.power_level(room_id, user_id) >= MODERATOR_POWER
                for room_id in assembly.room_ids
            )
        return False
