"""Whether an assembly's rooms are mirrored now: chairs pause and resume, and a pause belongs to
the meeting it was made in."""

from __future__ import annotations

from bot.delivery import Delivery
from bot.domain.assembly import Assembly
from bot.domain.meetings import Meeting
from bot.domain.messages import Msg
from bot.storage.mirror_store import MirrorStore


class MirrorControl:
    def __init__(self, store: MirrorStore, delivery: Delivery) -> None:
        self._store = store
        self._delivery = delivery

    async def pause(self, assembly: Assembly, user_id: str) -> bool:
        return await self._store.pause(assembly.name, user_id)

    async def resume(self, assembly: Assembly) -> bool:
        return await self._store.resume(assembly.name)

    async def is_paused(self, assembly: Assembly) -> bool:
        return await self._store.is_paused(assembly.name)

    async def resume_after(self, assembly: Assembly, meeting: Meeting) -> None:
        """A pause ends when its meeting does."""
        if await self._store.resume(assembly.name):
            await self._delivery.announce(
                assembly, [Msg.of("mirror.resumed_at_end")], cause=f"meeting:{meeting.id}:resume"
            )
