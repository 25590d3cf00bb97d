"""Scheduled meetings and reminders: before each meeting, and on an action item's due date.

The database is the source of truth; the scheduler only says when to look again. Each scheduled
meeting has one job that wakes at its next reminder time, asks the domain's `plan_reminders` what
is due, and claims each reminder in `sent_reminders` in the same transaction that queues it (or
decides to skip it): a reminder is never sent twice, also across restarts, and one that fell due
while the bot was down is sent once on return if it is still useful, or skipped with a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyDirectory, AssemblyRoom
from bot.domain.authority import Authority
from bot.domain.durations import duration_message, to_the_minute
from bot.domain.errors import CommandError, PermissionDenied
from bot.domain.limits import MAX_TITLE
from bot.domain.messages import Code, Msg, Name, UserText
from bot.domain.schedule import (
    DEFAULT_REMINDER_OFFSETS,
    MeetingRule,
    Occurrence,
    Recurrence,
    Reminder,
    action_reminder_at,
    action_reminder_useful,
    format_day,
    format_in_zones,
    plan_reminders,
)
from bot.observability.metrics import Metrics
from bot.services.decisions import Author, check_text, tell_rooms
from bot.services.timers import Timers
from bot.storage.decisions_store import DecisionsStore, LogRecord
from bot.storage.reminders_store import ACTION, MEETING, SENT, SKIPPED, RemindersStore
from bot.storage.rooms_store import AssemblyRoomsStore
from bot.storage.schedules_store import Schedule, SchedulesStore

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(seconds=30)


@dataclass(frozen=True)
class Upcoming:
    schedule: Schedule
    occurrence: Occurrence


def when_lines(instant: datetime, room: AssemblyRoom, assembly: Assembly) -> tuple[str, str]:
    """(the day, the time in every center's zone) as a reader in `room` should see them: their
    own zone first."""
    zones = [room.timezone, *(r.timezone for r in assembly.rooms)]
    return (
        format_day(instant, room.timezone, room.language),
        format_in_zones(instant, zones, room.language),
    )


class Reminders:
    def __init__(
        self,
        *,
        timers: Timers,
        schedules: SchedulesStore,
        sent: RemindersStore,
        decisions: DecisionsStore,
        rooms: AssemblyRoomsStore,
        delivery: Delivery,
        directory: AssemblyDirectory,
        offsets: Mapping[str, Sequence[int]],
        prefix: str,
        metrics: Metrics | None = None,
        still_open: Callable[[int], Awaitable[bool]] | None = None,
    ) -> None:
        self._timers = timers
        # Whether an action item is still to do: one done or dropped before its due date gets
        # no reminder (None: every action item is).
        self._still_open = still_open
        self._metrics = metrics or Metrics()
        self._schedules = schedules
        self._sent = sent
        self._decisions = decisions
        self._rooms = rooms
        self._delivery = delivery
        self._directory = directory
        self._offsets = offsets
        self.prefix = prefix
        self.clock: Callable[[], datetime] = timers.clock

    def offsets_of(self, assembly: str) -> tuple[int, ...]:
        return tuple(self._offsets.get(assembly, DEFAULT_REMINDER_OFFSETS))

    # -- start-up -----------------------------------------------------------------------------

    async def restore(self) -> None:
        """Rebuild every job from the database (and keep a copy of the rooms for the CLI)."""
        for assembly in self._directory.assemblies:
            await self._rooms.save_rooms(assembly.name, assembly.rooms)
        for schedule in await self._schedules.active_schedules():
            self._wake_at(schedule.id, self.clock())
        reminded = await self._sent.handled_refs(ACTION)
        for entry in await self._decisions.actions_with_due_date():
            if entry.id not in reminded:
                self.watch_action(entry)

    # -- scheduling meetings ------------------------------------------------------------------

    async def add(
        self,
        assembly: Assembly,
        author: Author,
        *,
        day: date,
        at: time,
        zone: str,
        title: str,
        recurrence: Recurrence,
    ) -> Upcoming:
        title = check_text(title, "schedule.needs_title", self.prefix)
        if len(title) > MAX_TITLE:
            raise CommandError("records.too_long", length=len(title), limit=MAX_TITLE)
        rule = MeetingRule(datetime.combine(day, at), zone, recurrence)
        upcoming = rule.next_after(self.clock())
        if upcoming is None:
            raise CommandError("schedule.in_the_past")
        schedule_id = await self._schedules.add_schedule(
            assembly=assembly.name,
            title=title,
            language=author.room.language,
            rule=rule,
            created_by=author.user_id,
            created_in=author.room.room_id,
            source_event_id=author.event_id,
            created_at=author.ts,
        )
        schedule = await self._schedules.schedule(schedule_id)
        assert schedule is not None
        # The job looks at the database once this command's transaction has committed.
        self._wake_at(schedule_id, self.clock())
        return Upcoming(schedule, upcoming)

    async def upcoming(self, assembly: Assembly) -> list[Upcoming]:
        now = self.clock()
        found = []
        for schedule in await self._schedules.active_schedules(assembly.name):
            occurrence = schedule.rule.next_after(now)
            if occurrence is not None:
                found.append(Upcoming(schedule, occurrence))
        return sorted(found, key=lambda u: u.occurrence.start)

    async def cancel(self, assembly: Assembly, schedule_id: int, by: Authority) -> Schedule:
        schedule = await self._schedules.schedule(schedule_id)
        if schedule is None or schedule.assembly != assembly.name:
            raise CommandError("schedule.unknown", id=Code(f"#{schedule_id}"))
        if not by.reaches_schedule(schedule.created_by):
            raise PermissionDenied("schedule.not_yours", id=Code(f"#{schedule_id}"))
        now_ms = int(self.clock().timestamp() * 1000)
        if not await self._schedules.cancel_schedule(schedule_id, by.user_id, now_ms):
            raise CommandError("schedule.already_cancelled", id=Code(f"#{schedule_id}"))
        # A job that still fires finds the schedule cancelled and stops.
        return schedule

    # -- meeting reminders --------------------------------------------------------------------

    async def wake(self, schedule_id: int) -> datetime | None:
        """Send what is due for one scheduled meeting (in the timer's transaction); returns when
        its next reminder falls due."""
        now = self.clock()
        schedule = await self._schedules.schedule(schedule_id)
        if schedule is None or schedule.cancelled_at is not None:
            return None
        assembly = self._directory.by_name(schedule.assembly)
        if assembly is None:
            return None
        handled = await self._sent.handled_reminders(MEETING, schedule_id)

        def was_handled(reminder: Reminder) -> bool:
            return (reminder.occurrence.key, reminder.offset_seconds) in handled

        offsets = self.offsets_of(assembly.name)
        plan = plan_reminders(schedule.rule, offsets, now, was_handled)
        for reminder in plan.skip:
            if await self._claim(schedule_id, reminder, SKIPPED):
                log.info(
                    "skipping the %ss reminder of schedule %s for %s: no longer useful at %s",
                    reminder.offset_seconds,
                    schedule_id,
                    reminder.occurrence.key,
                    now.isoformat(),
                )
        for reminder in plan.send:
            if await self._claim(schedule_id, reminder, SENT):
                await self._send_reminder(assembly, schedule, reminder, now)
        return plan.next_wake

    async def _claim(self, schedule_id: int, reminder: Reminder, outcome: str) -> bool:
        return await self._sent.claim_reminder(
            MEETING, schedule_id, reminder.occurrence.key, reminder.offset_seconds, outcome
        )

    async def _send_reminder(
        self, assembly: Assembly, schedule: Schedule, reminder: Reminder, now: datetime
    ) -> None:
        start = reminder.occurrence.start
        remaining = (start - now).total_seconds()

        def lines(room: AssemblyRoom) -> list[Msg]:
            day, times = when_lines(start, room, assembly)
            return [
                Msg.of(
                    "reminder.meeting",
                    title=UserText(schedule.title, schedule.language),
                    remaining=duration_message(to_the_minute(remaining)),
                    day=day,
                    times=times,
                    id=Code(f"#{schedule.id}"),
                )
            ]

        cause = f"reminder:{schedule.id}:{reminder.occurrence.key}:{reminder.offset_seconds}"
        # Everyone should hear that a meeting is coming: a message, not a notice.
        await tell_rooms(
            self._delivery, assembly, assembly.rooms, lines, cause=cause, alert=True
        )
        self._metrics.reminder_sent(MEETING)

    # -- action items -------------------------------------------------------------------------

    def watch_action(self, entry: LogRecord) -> None:
        if entry.due is None or entry.owner is None:
            return
        assembly = self._directory.by_name(entry.assembly)
        if assembly is None:
            return
        zone = self._owner_room(assembly, entry).timezone
        run_at = action_reminder_at(entry.due, zone)
        self._timers.at(f"action:{entry.id}", run_at, partial(self.remind_owner, entry.id))

    async def remind_owner(self, entry_id: int) -> None:
        """Remind an action item's owner on its due date (in the timer's transaction)."""
        now = self.clock()
        entry = await self._decisions.entry(entry_id)
        if entry is None or entry.undone_at is not None or not entry.due or not entry.owner:
            return
        if self._still_open is not None and not await self._still_open(entry_id):
            return
        assembly = self._directory.by_name(entry.assembly)
        if assembly is None:
            return
        room = self._owner_room(assembly, entry)
        occurrence = entry.due.isoformat()
        if not action_reminder_useful(entry.due, room.timezone, now):
            if await self._sent.claim_reminder(ACTION, entry_id, occurrence, 0, SKIPPED):
                log.info("skipping the due-date reminder of action item %s: too late", entry_id)
            return
        if not await self._sent.claim_reminder(ACTION, entry_id, occurrence, 0, SENT):
            return
        line = Msg.of(
            "reminder.action",
            owner=Name(entry.owner_name or entry.owner, center=entry.owner_center),
            text=UserText(entry.text, entry.language),
            due=entry.due.isoformat(),
            id=Code(f"#{entry.number}"),
        )
        await tell_rooms(
            self._delivery,
            assembly,
            [room],
            lambda _: [line],
            cause=f"reminder:action:{entry_id}:{occurrence}",
            mention=(entry.owner,),
        )
        self._metrics.reminder_sent(ACTION)

    @staticmethod
    def _owner_room(assembly: Assembly, entry: LogRecord) -> AssemblyRoom:
        """The room of the owner's center (kept with the entry: the member list is not known
        before the first sync)."""
        for room in assembly.rooms:
            if room.center == entry.owner_center:
                return room
        return assembly.room(entry.room_id or "") or assembly.rooms[0]

    # -- jobs ---------------------------------------------------------------------------------

    def _wake_at(self, schedule_id: int, when: datetime) -> None:
        # The plan decides what a late wake-up still sends; a failed one is tried again shortly.
        self._timers.at(
            f"schedule:{schedule_id}",
            when,
            partial(self.wake, schedule_id),
            retry_after=RETRY_AFTER,
        )
