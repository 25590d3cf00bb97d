"""Commitments: every action item, followed from the meeting that made it until it is done.

An `!action` becomes a commitment numbered across the assembly (C1, C2…). Its owner or a chair
marks it done, a chair drops it with a reason; the next meeting opens with a review of every
open one; an overdue one is reminded to its owner, in their own room, once a week at 09:00 in
their zone. The database is the source of truth: each reminder job is rebuilt from it at start,
and each reminder is claimed in `sent_reminders` in the transaction that queues it, so it is
never sent twice. No Matrix here, and no wording beyond the reminder's own message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyDirectory, AssemblyRoom
from bot.domain.authority import Authority
from bot.domain.commitments import (
    CenterReview,
    Commitment,
    EventKind,
    HistoryEvent,
    Status,
    label_of,
    next_overdue_reminder,
    overdue_reminder_day,
    reminder_still_useful,
    review,
    today_in,
)
from bot.domain.errors import CommandError, PermissionDenied
from bot.domain.limits import MAX_ENTRY, tidied_text
from bot.domain.meetings import Meeting
from bot.domain.messages import Code, Msg, Name, UserText
from bot.observability.metrics import Metrics
from bot.services.decisions import tell_rooms
from bot.services.timers import Timers
from bot.storage.commitments_store import CommitmentsStore
from bot.storage.decisions_store import LogRecord
from bot.storage.meetings_store import MeetingsStore
from bot.storage.reminders_store import ACTION, SENT, RemindersStore

log = logging.getLogger(__name__)

# The agenda item the review of commitments opens a meeting with (a catalog key).
REVIEW_ITEM = "commitments.review_item"
RETRY_AFTER = timedelta(minutes=5)
OVERDUE = "overdue"


@dataclass(frozen=True)
class Wanted:
    """Which commitments `!commitments` lists: the open ones of a center, of a person, or the
    overdue ones; all open ones when nothing is named."""

    center: str | None = None
    person: str | None = None
    overdue_only: bool = False


@dataclass(frozen=True)
class Note:
    """What someone said when closing a commitment, in the language of their room."""

    text: str | None
    language: str


@dataclass(frozen=True)
class Opened:
    """What the review at the start of a meeting found (nothing: no review)."""

    centers: tuple[CenterReview, ...]


def owner_room(assembly: Assembly, commitment: Commitment) -> AssemblyRoom:
    """The room of the owner's center, where they are reminded (kept with the commitment: the
    member list is not known before the first sync)."""
    for room in assembly.rooms:
        if room.center == commitment.owner_center:
            return room
    return assembly.room(commitment.room_id or "") or assembly.rooms[0]


class Commitments:
    def __init__(
        self,
        *,
        store: CommitmentsStore,
        meetings: MeetingsStore,
        sent: RemindersStore,
        timers: Timers,
        delivery: Delivery,
        directory: AssemblyDirectory,
        prefix: str,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._meetings = meetings
        self._sent = sent
        self._timers = timers
        self._delivery = delivery
        self._directory = directory
        self.prefix = prefix
        self._metrics = metrics or Metrics()
        self.clock: Callable[[], datetime] = timers.clock

    def now_ms(self) -> int:
        return int(self.clock().timestamp() * 1000)

    # -- made, done, dropped ------------------------------------------------------------------

    async def take_on(self, entry: LogRecord) -> Commitment:
        """The commitment an action item makes (in the transaction that records the item)."""
        assert entry.id is not None and entry.owner is not None
        made = await self._store.add(
            Commitment(
                id=0,
                assembly=entry.assembly,
                number=0,
                decision_id=entry.id,
                meeting_id=entry.meeting_id,
                text=entry.text,
                language=entry.language,
                owner=entry.owner,
                owner_name=entry.owner_name or entry.owner,
                owner_center=entry.owner_center or "",
                room_id=entry.room_id,
                due=entry.due,
                status=Status.OPEN,
                made_at=entry.created_at,
            )
        )
        self.watch(made)
        return made

    async def withdraw(self, entry: LogRecord) -> None:
        """Its action item was undone: it never was a commitment."""
        commitment = await self._store.of_decision(entry.id or 0)
        if commitment is not None:
            await self._store.close(
                commitment.id, Status.WITHDRAWN, at=self.now_ms(), by=entry.author, note=None
            )

    async def find(self, assembly: Assembly, number: int) -> Commitment:
        found = await self._store.by_number(assembly.name, number)
        if found is None or found.status is Status.WITHDRAWN:
            raise CommandError(
                "commitments.unknown", label=Code(label_of(number)), prefix=self.prefix
            )
        return found

    async def complete(
        self, assembly: Assembly, number: int, by: Authority, note: Note
    ) -> Commitment:
        """Its owner or a chair says it is done."""
        commitment = await self.find(assembly, number)
        if not (by.is_chair or by.user_id == commitment.owner):
            raise PermissionDenied(
                "commitments.not_yours",
                label=Code(commitment.label),
                owner=Name(commitment.owner_name, center=commitment.owner_center),
            )
        return await self._close(commitment, Status.DONE, by.user_id, note)

    async def drop(self, assembly: Assembly, number: int, by: str, reason: Note) -> Commitment:
        """A chair drops it; the reason is required, since the other center will ask why."""
        commitment = await self.find(assembly, number)
        if not reason.text or not reason.text.strip():
            raise CommandError(
                "commitments.needs_reason", number=commitment.number, prefix=self.prefix
            )
        return await self._close(commitment, Status.DROPPED, by, reason)

    async def _close(
        self, commitment: Commitment, status: Status, by: str, note: Note
    ) -> Commitment:
        if not commitment.is_open:
            raise CommandError(
                f"commitments.already_{commitment.status}", label=Code(commitment.label)
            )
        text = self._note(note.text)
        await self._store.close(
            commitment.id,
            status,
            at=self.now_ms(),
            by=by,
            note=text,
            note_language=note.language if text else None,
        )
        # A job that still fires finds it closed and stops.
        self._timers.cancel(_job(commitment.id))
        closed = await self._store.by_id(commitment.id)
        assert closed is not None
        return closed

    def _note(self, text: str | None) -> str | None:
        if not text or not text.strip():
            return None
        return tidied_text(text, MAX_ENTRY, "records.too_long", empty_key="", prefix=self.prefix)

    async def still_open(self, decision_id: int) -> bool:
        """Whether the action item's commitment is still to do (one done or dropped before its
        due date gets no due-date reminder)."""
        commitment = await self._store.of_decision(decision_id)
        return commitment is None or commitment.is_open

    # -- reading them ---------------------------------------------------------------------------

    async def listing(self, assembly: Assembly, wanted: Wanted) -> tuple[CenterReview, ...]:
        """The open commitments asked for, grouped by center, overdue first."""
        found = [c for c in await self._store.open_commitments(assembly.name) if _fits(c, wanted)]
        reviewed = review(found, assembly.centers, self._today_of(assembly))
        if not wanted.overdue_only:
            return reviewed
        return tuple(
            CenterReview(group.center, group.overdue, ())
            for group in reviewed
            if group.overdue
        )

    async def history(self, commitment: Commitment) -> list[HistoryEvent]:
        return await self._store.history(commitment.id)

    def is_overdue(self, assembly: Assembly, commitment: Commitment) -> bool:
        return commitment.overdue_on(self._today_of(assembly)(commitment))

    def _today_of(self, assembly: Assembly) -> Callable[[Commitment], date]:
        now = self.clock()
        return lambda commitment: today_in(now, owner_room(assembly, commitment).timezone)

    # -- the review that opens the next meeting -----------------------------------------------

    async def review_at_opening(self, assembly: Assembly, meeting: Meeting) -> Opened:
        """Every open commitment of earlier meetings, grouped by center, overdue first; when
        there is any, their review is put on the new meeting's agenda as its first item."""
        earlier = [
            c
            for c in await self._store.open_commitments(assembly.name)
            if c.meeting_id != meeting.id
        ]
        if not earlier:
            return Opened(())
        await self._meetings.add_item(
            meeting.id,
            title=REVIEW_ITEM,
            language=meeting.title_language,
            timebox_seconds=None,
            owner=None,
            added_by=meeting.started_by,
            title_key=REVIEW_ITEM,
        )
        return Opened(review(earlier, assembly.centers, self._today_of(assembly)))

    # -- overdue reminders ----------------------------------------------------------------------

    async def restore(self) -> None:
        """Re-arm the overdue reminder of every open commitment with a due date."""
        for commitment in await self._store.open_commitments():
            self.watch(commitment)

    def watch(self, commitment: Commitment) -> None:
        assembly = self._directory.by_name(commitment.assembly)
        if commitment.due is None or not commitment.is_open or assembly is None:
            return
        zone = owner_room(assembly, commitment).timezone
        self._timers.at(
            _job(commitment.id),
            next_overdue_reminder(commitment.due, zone, self.clock()),
            partial(self.remind_overdue, commitment.id),
            retry_after=RETRY_AFTER,
        )

    async def remind_overdue(self, commitment_id: int) -> datetime | None:
        """Remind the owner of an overdue commitment (in the timer's transaction); returns when
        the next reminder is due, or None once it is done or dropped."""
        now = self.clock()
        commitment = await self._store.by_id(commitment_id)
        if commitment is None or not commitment.is_open or commitment.due is None:
            return None
        assembly = self._directory.by_name(commitment.assembly)
        if assembly is None:
            return None
        room = owner_room(assembly, commitment)
        day = overdue_reminder_day(commitment.due, today_in(now, room.timezone))
        if day is not None and reminder_still_useful(day, room.timezone, now):
            occurrence = day.isoformat()
            # Claimed under the action item, beside its due-date reminder (a different day).
            if await self._sent.claim_reminder(ACTION, commitment.decision_id, occurrence, 0, SENT):
                await self._remind(assembly, room, commitment, occurrence)
        return next_overdue_reminder(commitment.due, room.timezone, now)

    async def _remind(
        self, assembly: Assembly, room: AssemblyRoom, commitment: Commitment, occurrence: str
    ) -> None:
        line = Msg.of(
            "commitments.overdue_reminder",
            owner=Name(commitment.owner_name, center=commitment.owner_center),
            label=Code(commitment.label),
            text=UserText(commitment.text, commitment.language),
            due=commitment.due.isoformat() if commitment.due else "",
            prefix=self.prefix,
            number=commitment.number,
        )
        # Their own room, naming them: a message that notifies them, not a notice.
        await tell_rooms(
            self._delivery,
            assembly,
            [room],
            lambda _: [line],
            cause=f"reminder:overdue:{commitment.id}:{occurrence}",
            mention=(commitment.owner,),
        )
        at = int(self.clock().timestamp() * 1000)
        await self._store.add_event(commitment.id, HistoryEvent(EventKind.REMINDED, at))
        self._metrics.reminder_sent(OVERDUE)


def _job(commitment_id: int) -> str:
    return f"commitment:{commitment_id}"


def _fits(commitment: Commitment, wanted: Wanted) -> bool:
    if wanted.center is not None and commitment.owner_center.lower() != wanted.center.lower():
        return False
    return wanted.person is None or commitment.owner == wanted.person
