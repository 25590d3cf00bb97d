"""Gentle notices when an agenda item passes its timebox or a turn passes its time limit.

The database is the source of truth: jobs are rebuilt from it at start-up, and each notice is
claimed with a flag in the same transaction that queues it, so it is posted once, also across
restarts. A job that fires for an item or turn already over finds nothing to claim.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Protocol

from bot.domain.assembly import Assembly
from bot.domain.durations import duration_message
from bot.domain.meetings import AgendaItem, Turn
from bot.domain.messages import Msg, Name, UserText
from bot.services.timers import Timers, instant
from bot.storage.meetings_store import MeetingsStore


class Announcer(Protocol):
    async def announce(self, assembly: Assembly, lines: Sequence[Msg], *, cause: str) -> None: ...


class MeetingTimers:
    def __init__(
        self,
        timers: Timers,
        store: MeetingsStore,
        delivery: Announcer,
        assembly_named: Callable[[str], Assembly | None],
        display_name: Callable[[Assembly, str], str],
    ) -> None:
        self._timers = timers
        self._store = store
        self._delivery = delivery
        self._assembly_named = assembly_named
        self._display_name = display_name

    def watch_timebox(self, item: AgendaItem) -> None:
        if item.timebox_seconds and item.started_at is not None and not item.timebox_notified:
            due = item.started_at + item.timebox_seconds * 1000
            self._at(f"timebox:{item.id}", due, partial(self.timebox_passed, item.id))

    def watch_turn(self, turn: Turn) -> None:
        if turn.limit_seconds and turn.ended_at is None and not turn.limit_notified:
            due = turn.started_at + turn.limit_seconds * 1000
            self._at(f"turn-limit:{turn.id}", due, partial(self.turn_limit_reached, turn.id))

    async def restore(self) -> None:
        """Rebuild the jobs of every open meeting's current item and current turn."""
        for meeting in await self._store.open_meetings():
            item = await self._store.current_item(meeting.id)
            if item is not None:
                self.watch_timebox(item)
        for turn in await self._store.open_turns():
            self.watch_turn(turn)

    async def timebox_passed(self, item_id: int) -> None:
        # Runs in the timer's transaction: the claim and the queued notice commit together.
        async def notice() -> tuple[Assembly, list[Msg]] | None:
            item = await self._store.item(item_id)
            if item is None or not await self._store.claim_timebox_notice(item_id):
                return None
            assembly = await self._assembly_of(item.meeting_id)
            if assembly is None or item.timebox_seconds is None:
                return None
            line = Msg.of(
                "agenda.timebox_over",
                timebox=duration_message(item.timebox_seconds),
                title=UserText(item.title, item.language),
            )
            return assembly, [line]

        await self._post(f"timebox:{item_id}", notice)

    async def turn_limit_reached(self, turn_id: int) -> None:
        async def notice() -> tuple[Assembly, list[Msg]] | None:
            turn = await self._store.turn(turn_id)
            if turn is None or not await self._store.claim_limit_notice(turn_id):
                return None
            assembly = await self._assembly_of(turn.meeting_id)
            if assembly is None or turn.limit_seconds is None:
                return None
            line = Msg.of(
                "stack.time_up",
                name=Name(self._display_name(assembly, turn.user_id), center=turn.center),
                limit=duration_message(turn.limit_seconds),
            )
            return assembly, [line]

        await self._post(f"turn-limit:{turn_id}", notice)

    async def _assembly_of(self, meeting_id: int) -> Assembly | None:
        meeting = await self._store.meeting(meeting_id)
        if meeting is None or meeting.ended_at is not None:
            return None
        return self._assembly_named(meeting.assembly)

    async def _post(
        self, cause: str, notice: Callable[[], Awaitable[tuple[Assembly, list[Msg]] | None]]
    ) -> None:
        found = await notice()
        if found is not None:
            assembly, lines = found
            await self._delivery.announce(assembly, lines, cause=cause)

    def _at(self, name: str, due_ms: int, job: Callable[[], Awaitable[None]]) -> None:
        # A meeting's notice answers the meeting's own clock, not events the bot may have missed
        # while down, so it does not wait for the first sync.
        self._timers.at(name, instant(due_ms), job, after_first_sync=False)
