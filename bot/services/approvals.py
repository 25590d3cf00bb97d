"""Minutes the assembly approves: a meeting's minutes are a draft until a later meeting approves
them (Robert's Rules' practice), with the corrections it made to them on the way.

`!correct` records a correction to an earlier meeting's draft minutes; `!approve` records the
approval as a decision of the meeting that approves them (an agreement in its decision log,
worded by the bot in every language of the assembly), and the minutes say so from then on. An
approval whose agreement is undone (`!undo`) no longer counts: the minutes are a draft again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.assembly import Assembly
from bot.domain.errors import CommandError
from bot.domain.meetings import Meeting
from bot.domain.messages import Code, Msg, to_data
from bot.domain.minutes import AGREED
from bot.services.decisions import Author, DecisionLog, check_text
from bot.storage.approvals_store import Approval, ApprovalsStore, Correction
from bot.storage.decisions_store import DecisionsStore, LogRecord
from bot.storage.meetings_store import MeetingsStore

# Words a message in each language of the assembly (the catalogs, through delivery).
Wording = Callable[[str, Msg], str]


@dataclass(frozen=True)
class Approved:
    meeting: Meeting
    entry: LogRecord
    corrections: int


async def valid_approval(
    store: ApprovalsStore, decisions: DecisionsStore, meeting_id: int
) -> Approval | None:
    """The approval of a meeting's minutes, unless its agreement was undone."""
    approval = await store.approval(meeting_id)
    if approval is None or approval.decision_id is None:
        return approval
    entry = await decisions.entry(approval.decision_id)
    return approval if entry is not None and entry.undone_at is None else None


class MinutesApprovals:
    def __init__(
        self,
        store: ApprovalsStore,
        meetings: MeetingsStore,
        decisions: DecisionsStore,
        log: DecisionLog,
    ) -> None:
        self._store = store
        self._meetings = meetings
        self._decisions = decisions
        self._log = log

    async def approve(
        self, assembly: Assembly, author: Author, number: int | None, wording: Wording
    ) -> Approved:
        current = await self._current(assembly)
        meeting = await self._draft(assembly, current, number)
        corrections = len(await self._store.corrections(meeting.id))
        said = _approval_message(meeting, corrections)
        languages = dict.fromkeys(room.language for room in assembly.rooms)
        entry = await self._log.record(
            assembly,
            author,
            AGREED,
            wording(author.room.language, said),
            translations={
                language: wording(language, said)
                for language in languages
                if language != author.room.language
            },
            details={"worded": to_data(said), "approves": meeting.id},
        )
        assert entry.id is not None
        await self._store.approve(
            Approval(meeting.id, current.id, entry.id, author.user_id, entry.created_at)
        )
        return Approved(meeting, entry, corrections)

    async def correct(
        self, assembly: Assembly, author: Author, number: int, text: str | None
    ) -> tuple[Meeting, Correction]:
        current = await self._current(assembly)
        meeting = await self._draft(assembly, current, number)
        words = check_text(text, "approval.needs_text", self._log.prefix)
        correction = await self._store.add_correction(
            Correction(
                meeting_id=meeting.id,
                made_in=current.id,
                text=words,
                language=author.room.language,
                author=author.user_id,
                author_name=author.name,
                author_center=author.room.center,
                made_at=author.ts or self._log.clock(),
                source_event_id=author.event_id,
            )
        )
        return meeting, correction

    async def _current(self, assembly: Assembly) -> Meeting:
        """Minutes are approved by a meeting, not between meetings."""
        current = await self._meetings.open_meeting(assembly.name)
        if current is None:
            raise CommandError("approval.needs_meeting", prefix=self._log.prefix)
        return current

    async def _draft(self, assembly: Assembly, current: Meeting, number: int | None) -> Meeting:
        """The earlier meeting whose draft minutes are meant: the one named, or the latest one
        before this meeting that is not approved yet."""
        if number is None:
            for meeting in reversed(await self._meetings.meetings(assembly.name)):
                if meeting.id < current.id and not await self._approved(meeting.id):
                    return meeting
            raise CommandError("approval.nothing_to_approve")
        meeting = await self._meetings.meeting(number)
        if meeting is None or meeting.assembly != assembly.name:
            raise CommandError("minutes.unknown_meeting", id=Code(f"#{number}"))
        if meeting.id >= current.id:
            raise CommandError("approval.not_earlier", id=Code(f"#{number}"))
        if await self._approved(meeting.id):
            raise CommandError("approval.already", id=Code(f"#{number}"))
        return meeting

    async def _approved(self, meeting_id: int) -> bool:
        return await valid_approval(self._store, self._decisions, meeting_id) is not None


def _approval_message(meeting: Meeting, corrections: int) -> Msg:
    if corrections == 0:
        return Msg.of("approval.entry", id=f"#{meeting.id}")
    if corrections == 1:
        return Msg.of("approval.entry_one_correction", id=f"#{meeting.id}")
    return Msg.of("approval.entry_corrections", id=f"#{meeting.id}", count=corrections)

