"""Meetings: one open meeting per assembly, its chairs, its roll call, its order of turns.

A meeting belongs to the assembly, not to a room: a command in any of its rooms acts on the same
meeting. No Matrix here; handlers turn the results into messages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain.assembly import Assembly
from bot.domain.errors import CommandError, NoMeeting
from bot.domain.limits import MAX_TITLE, tidied_text
from bot.domain.meetings import Attendee, Meeting, TurnEnd
from bot.domain.messages import Msg, Name, UserText
from bot.domain.minutes import speaking_statistics, spoken_turns
from bot.domain.stack import StackPolicy
from bot.services.people import People
from bot.storage.meetings_store import MeetingsStore
from bot.storage.runtime_store import now_ms

# Milliseconds since the epoch; injected so tests can move time.
Clock = Callable[[], int]

# How a person came to be marked present (the first way counts).
ROLL_CALL, RAISED_HAND, SPOKE = "roll_call", "hand", "spoke"


class StandingChairs(Protocol):
    def is_standing_chair(self, assembly: Assembly, user_id: str) -> bool: ...


@dataclass(frozen=True)
class CenterSummary:
    center: str
    present: int
    turns: int
    speaking_seconds: float  # counted as the minutes count it


@dataclass(frozen=True)
class Opening:
    """A meeting just opened, and what the business left by earlier meetings adds to its
    announcement (the review of open commitments), worded later per room."""

    meeting: Meeting
    arising: tuple[Msg, ...] = ()


# Told when a meeting opens, inside its transaction; answers with lines for the announcement.
OpeningStep = Callable[[Assembly, Meeting], Awaitable[Sequence[Msg]]]


@dataclass(frozen=True)
class MeetingSummary:
    """What the closing announcement tells: how long, and how each center took part."""

    meeting: Meeting
    ended_at: int
    centers: tuple[CenterSummary, ...]


def check_title(text: str, empty_key: str, prefix: str) -> str:
    return tidied_text(
        text, MAX_TITLE, "meeting.title_too_long", empty_key=empty_key, prefix=prefix
    )


class MeetingService:
    def __init__(
        self,
        store: MeetingsStore,
        people: People,
        standing: StandingChairs,
        prefix: str,
        clock: Clock = now_ms,
        *,
        on_end: Sequence[Callable[[Assembly, Meeting], Awaitable[None]]] = (),
        on_start: Sequence[OpeningStep] = (),
    ) -> None:
        self._store = store
        self._people = people
        self._standing = standing
        self.prefix = prefix
        self.clock = clock
        # Told when a meeting ends, inside its transaction: what belonged to it ends with it.
        self._on_end = tuple(on_end)
        # Matters arising from earlier meetings (the commitments still open).
        self._on_start = tuple(on_start)
        # Asked on every message said (is a meeting open? is the speaker marked present?), so
        # kept in memory and changed once the database has changed: the open meeting's id per
        # assembly, and who is known to be present in it.
        self._open_ids: dict[str, int | None] = {}
        self._present: set[tuple[int, str]] = set()

    async def current(self, assembly: Assembly) -> Meeting | None:
        return await self._store.open_meeting(assembly.name)

    async def require(self, assembly: Assembly) -> Meeting:
        """The open meeting, or a polite explanation that there is none."""
        meeting = await self.current(assembly)
        if meeting is None:
            raise NoMeeting()
        return meeting

    async def start(
        self, assembly: Assembly, title: str, language: str, user_id: str
    ) -> Opening:
        """Open a meeting; whoever starts it chairs it (the MeetBot convention)."""
        open_meeting = await self.current(assembly)
        if open_meeting is not None:
            raise CommandError(
                "meeting.already_open",
                title=UserText(open_meeting.title, open_meeting.title_language),
                prefix=self.prefix,
            )
        now = self.clock()
        meeting = await self._store.create_meeting(
            assembly=assembly.name,
            title=check_title(title, "meeting.needs_title", self.prefix),
            title_language=language,
            started_by=user_id,
            started_at=now,
            stack_policy=StackPolicy(assembly.stack_policy),
            turn_limit_seconds=assembly.turn_limit_seconds,
            standing_chairs=assembly.chairs,
        )
        await self._store.add_chair(meeting.id, user_id, user_id, now)
        for chair in meeting.chairs([user_id]):
            await self._people.remember(assembly, chair)
        arising = [line for step in self._on_start for line in await step(assembly, meeting)]
        self._store.db.on_commit(lambda: self._open_ids.__setitem__(assembly.name, meeting.id))
        return Opening(meeting, tuple(arising))

    async def end(self, assembly: Assembly) -> MeetingSummary:
        """Close the meeting: the current turn and item end now, and the record is kept."""
        meeting = await self.require(assembly)
        now = self.clock()
        turn = await self._store.current_turn(meeting.id)
        if turn is not None:
            await self._store.end_turn(turn.id, now, TurnEnd.MEETING_END)
        item = await self._store.current_item(meeting.id)
        if item is not None:
            await self._store.finish_item(item.id, now)
        await self._store.end_meeting(meeting.id, now)
        self._store.db.on_commit(lambda: self._forget_meeting(assembly.name, meeting.id))
        for watcher in self._on_end:
            await watcher(assembly, meeting)
        return MeetingSummary(meeting, now, await self._centers(assembly, meeting.id, now))

    async def _centers(
        self, assembly: Assembly, meeting_id: int, ended_at: int
    ) -> tuple[CenterSummary, ...]:
        present = Counter(a.center for a in await self._store.attendance(meeting_id))
        turns = await self._store.turns(meeting_id)
        counted = Counter(t.center for t in turns)
        # The minutes' own count, so both give each center the same speaking time.
        statistics = speaking_statistics(spoken_turns(turns, ended_at), (), assembly.centers, {})
        spoken = {c.center: c.seconds for c in statistics.centers}
        centers = dict.fromkeys([*assembly.centers, *present, *counted])
        return tuple(
            CenterSummary(center, present[center], counted[center], spoken.get(center, 0.0))
            for center in centers
        )

    # -- chairs -----------------------------------------------------------------------------

    async def add_chair(self, assembly: Assembly, user_id: str, by: str) -> Name:
        meeting = await self.require(assembly)
        name = self._people.person(assembly, user_id)
        if not self._people.is_member(assembly, user_id):
            raise CommandError("chair.not_member", user=user_id)
        if self._standing.is_standing_chair(assembly, user_id):
            raise CommandError("chair.already", name=name)
        if not await self._store.add_chair(meeting.id, user_id, by, self.clock()):
            raise CommandError("chair.already", name=name)
        await self._people.remember(assembly, user_id)
        return name

    async def remove_chair(self, assembly: Assembly, user_id: str) -> Name:
        meeting = await self.require(assembly)
        name = self._people.person(assembly, user_id)
        if self._standing.is_standing_chair(assembly, user_id):
            raise CommandError("chair.standing", name=name)
        chairs = await self._store.chairs(meeting.id)
        if user_id not in chairs:
            raise CommandError("chair.not_chair", name=name)
        # Without configured chairs or moderators, the meeting would be left with nobody to run it.
        if chairs == [user_id] and not (assembly.chairs or assembly.power_level_chairs):
            raise CommandError("chair.last", name=name)
        await self._store.remove_chair(meeting.id, user_id)
        return name

    async def chairs(self, meeting: Meeting) -> list[str]:
        """This meeting's own chairs and the configured chairs it opened with (moderators are
        not listed): the same list its minutes give."""
        return meeting.chairs(await self._store.chairs(meeting.id))

    # -- roll call --------------------------------------------------------------------------

    async def mark_present(
        self, assembly: Assembly, user_id: str, room_id: str, how: str = ROLL_CALL
    ) -> bool:
        """Mark a person present with their center; False if they already were."""
        meeting = await self.require(assembly)
        return await self.mark_present_in(meeting, assembly, user_id, room_id, how)

    async def mark_present_in(
        self, meeting: Meeting, assembly: Assembly, user_id: str, room_id: str, how: str
    ) -> bool:
        return await self._mark_present(meeting.id, assembly, user_id, room_id, how)

    async def _mark_present(
        self, meeting_id: int, assembly: Assembly, user_id: str, room_id: str, how: str
    ) -> bool:
        if (meeting_id, user_id) in self._present:
            return False
        center = self._people.center_of(assembly, user_id, spoken_in=room_id)
        marked = await self._store.mark_present(meeting_id, user_id, center, how, self.clock())
        if marked:
            await self._people.remember(assembly, user_id, spoken_in=room_id)
        self._store.db.on_commit(lambda: self._present.add((meeting_id, user_id)))
        return marked

    async def note_speaker(self, assembly: Assembly, user_id: str, room_id: str) -> None:
        """Someone said something during a meeting: that counts as being present."""
        meeting_id = await self.open_meeting_id(assembly)
        if meeting_id is not None:
            await self._mark_present(meeting_id, assembly, user_id, room_id, SPOKE)

    async def open_meeting_id(self, assembly: Assembly) -> int | None:
        """The open meeting's id, kept in memory: asked on every message said."""
        if assembly.name not in self._open_ids:
            meeting = await self.current(assembly)
            self._open_ids[assembly.name] = meeting.id if meeting else None
        return self._open_ids[assembly.name]

    def _forget_meeting(self, assembly: str, meeting_id: int) -> None:
        self._open_ids[assembly] = None
        self._present = {(m, user) for m, user in self._present if m != meeting_id}

    async def attendance(self, assembly: Assembly) -> list[Attendee]:
        meeting = await self.require(assembly)
        return await self._store.attendance(meeting.id)

    # -- how turns are given ------------------------------------------------------------------

    async def set_policy(self, assembly: Assembly, policy: StackPolicy) -> Meeting:
        meeting = await self.require(assembly)
        await self._store.set_policy(meeting.id, policy)
        return await self.require(assembly)

    async def set_turn_limit(self, assembly: Assembly, seconds: int | None) -> Meeting:
        """Applies from the next turn on; the person speaking keeps the limit they started with."""
        meeting = await self.require(assembly)
        await self._store.set_turn_limit(meeting.id, seconds)
        return await self.require(assembly)
