"""Gentle notices when an agenda item passes its timebox or a turn passes its time limit.

The database is the source of truth: jobs are rebuilt from it at start-up, and each notice is
claimed with a flag in the same transaction that queues it, so it is posted once, also across
restarts. A job that fires for an item or turn already over finds nothing to claim.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.domain.assembly import Assembly
from bot.domain.meetings import AgendaItem, Turn
from bot.i18n import Bold, Msg
from bot.render import meetings as words
from bot.services.meetings import Clock
from bot.storage.meetings_store import MeetingsStore

log = logging.getLogger(__name__)


class JobScheduler(Protocol):
    """The part of APScheduler's AsyncIOScheduler used here."""

    def add_job(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...


class Announcer(Protocol):
    async def announce(self, assembly: Assembly, lines: Sequence[Msg], *, cause: str) -> None: ...
    def wake(self) -> None: ...


class MeetingTimers:
    def __init__(
        self,
        scheduler: JobScheduler,
        transaction: Callable[[], AbstractAsyncContextManager[None]],
        store: MeetingsStore,
        delivery: Announcer,
        assembly_named: Callable[[str], Assembly | None],
        display_name: Callable[[Assembly, str], str],
        clock: Clock,
    ) -> None:
        self._scheduler = scheduler
        self._transaction = transaction
        self._store = store
        self._delivery = delivery
        self._assembly_named = assembly_named
        self._display_name = display_name
        self._clock = clock

    def watch_timebox(self, item: AgendaItem) -> None:
        if item.timebox_seconds and item.started_at is not None and not item.timebox_notified:
            due = item.started_at + item.timebox_seconds * 1000
            self._at(f"timebox:{item.id}", due, self.timebox_passed, item.id)

    def watch_turn(self, turn: Turn) -> None:
        if turn.limit_seconds and turn.ended_at is None and not turn.limit_notified:
            due = turn.started_at + turn.limit_seconds * 1000
            self._at(f"turn-limit:{turn.id}", due, self.turn_limit_reached, turn.id)

    async def restore(self) -> None:
        """Rebuild the jobs of every open meeting's current item and current turn."""
        for meeting in await self._store.open_meetings():
            item = await self._store.current_item(meeting.id)
            if item is not None:
                self.watch_timebox(item)
        for turn in await self._store.open_turns():
            self.watch_turn(turn)

    async def timebox_passed(self, item_id: int) -> None:
        async def notice() -> tuple[Assembly, list[Msg]] | None:
            item = await self._store.item(item_id)
            if item is None or not await self._store.claim_timebox_notice(item_id):
                return None
            assembly = await self._assembly_of(item.meeting_id)
            if assembly is None or item.timebox_seconds is None:
                return None
            line = Msg.of(
                "agenda.timebox_over",
                timebox=words.duration(item.timebox_seconds),
                title=words.title(item),
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
                name=Bold(self._display_name(assembly, turn.user_id)),
                limit=words.duration(turn.limit_seconds),
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
        # The claim and the queued notice commit together: either both happen or neither.
        try:
            async with self._transaction():
                found = await notice()
                if found is not None:
                    assembly, lines = found
                    await self._delivery.announce(assembly, lines, cause=cause)
        except Exception:
            log.exception("could not post the %s notice", cause)
            return
        self._delivery.wake()

    def _at(
        self, job_id: str, due_ms: int, job: Callable[[int], Awaitable[None]], key: int
    ) -> None:
        run_at = datetime.fromtimestamp(max(due_ms, self._clock()) / 1000, UTC)
        # Scheduling usually happens inside a handler's transaction. The scheduler's callbacks and
        # the job's task would inherit that context (and with it "already in a transaction"), so
        # both are started from an empty context.
        contextvars.Context().run(
            self._scheduler.add_job,
            _in_fresh_context,
            "date",
            args=(job, key),
            id=job_id,
            replace_existing=True,
            run_date=run_at,
            misfire_grace_time=None,  # late (the bot was down) is better than never
        )


async def _in_fresh_context(job: Callable[[int], Awaitable[None]], key: int) -> None:
    await asyncio.get_running_loop().create_task(job(key), context=contextvars.Context())
