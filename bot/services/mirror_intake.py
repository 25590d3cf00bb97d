"""The mirror's intake and control: what people say in an assembly room becomes a job for the
worker (`mirror.py`), inside the transaction that marks the event handled; chairs pause and
resume mirroring, and a pause belongs to the meeting it was made in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyDirectory
from bot.domain.events import REDACTION, IncomingEvent
from bot.domain.meetings import Meeting
from bot.domain.messages import Msg
from bot.services.interpretation import InterpretationService
from bot.services.people import People
from bot.storage.mirror_store import MirrorJob, MirrorStore


class MirrorIntake:
    def __init__(
        self,
        *,
        store: MirrorStore,
        directory: AssemblyDirectory,
        people: People,
        interpretation: InterpretationService,
        delivery: Delivery,
        queue: Callable[[MirrorJob], None],
        source_of: Callable[[str | None], Awaitable[str | None]],
    ) -> None:
        self._store = store
        self._directory = directory
        self._people = people
        self._interpretation = interpretation
        self._delivery = delivery
        # The worker, handed each job (it takes it once the job is committed).
        self._queue = queue
        # The message a reply is about: the original behind one of our copies, or itself.
        self._source_of = source_of
        # The assemblies whose mirroring is paused: read once, asked on every message, and
        # changed once the database has changed.
        self._paused: set[str] | None = None

    async def accept(self, event: IncomingEvent) -> None:
        """Speech in an assembly room (a message, an edit, a deletion) to be mirrored."""
        assembly = self._directory.for_room(event.room_id)
        if assembly is None or await self.is_paused(assembly):
            return
        kind = "redact" if event.type == REDACTION else "edit" if event.is_edit else "message"
        speaker = self._people.display_name(assembly, event.sender)
        center = self._people.center_of(assembly, event.sender, event.room_id)
        if kind == "message" and self._interpretation.on_duty(assembly.name, event.sender):
            # An interpreter on duty already speaks for the other room: never mirrored back.
            interprets = await self._source_of(event.in_reply_to)
            await self._store.add_interpretation(assembly.name, event, speaker, center, interprets)
            return
        job = await self._store.add_event_job(
            assembly.name, kind, event, speaker=speaker, center=center
        )
        if job is not None:
            self._queue(job)

    # -- control ----------------------------------------------------------------------------

    async def pause(self, assembly: Assembly, user_id: str) -> bool:
        paused = await self._paused_now()
        changed = await self._store.pause(assembly.name, user_id)
        self._store.db.on_commit(lambda: paused.add(assembly.name))
        return changed

    async def resume(self, assembly: Assembly) -> bool:
        paused = await self._paused_now()
        changed = await self._store.resume(assembly.name)
        self._store.db.on_commit(lambda: paused.discard(assembly.name))
        return changed

    async def is_paused(self, assembly: Assembly) -> bool:
        return assembly.name in await self._paused_now()

    async def resume_after(self, assembly: Assembly, meeting: Meeting) -> None:
        """A pause ends when its meeting does."""
        if await self.resume(assembly):
            await self._delivery.announce(
                assembly, [Msg.of("mirror.resumed_at_end")], cause=f"meeting:{meeting.id}:resume"
            )

    async def _paused_now(self) -> set[str]:
        if self._paused is None:
            self._paused = await self._store.paused_assemblies()
        return self._paused
