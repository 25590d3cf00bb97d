"""Minutes: gather one meeting's record from the stores, as the domain's minutes values.

Used by `!minutes` (delivery renders the values into a file per room and language and uploads
them, `Delivery.queue_minutes`) and by the `asamblea minutes` command line (which renders one
file), so both say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.domain.assembly import AssemblyRoom
from bot.domain.commitments import FollowUp, follow_up
from bot.domain.interpretation import HUMAN_ORIGINS
from bot.domain.meetings import AgendaItem, Meeting
from bot.domain.messages import Msg, from_data
from bot.domain.minutes import (
    AgendaEntry,
    Approval,
    CenterCount,
    Correction,
    Dissent,
    Interpretation,
    LogEntry,
    Member,
    MinutesData,
    PollSummary,
    SaidMessage,
    WrittenText,
    spoken_turns,
)
from bot.domain.names import bare_name, told_apart
from bot.domain.translation_equity import CopyOutcome
from bot.services.approvals import valid_approval
from bot.storage.approvals_store import ApprovalsStore
from bot.storage.commitments_store import CommitmentsStore
from bot.storage.decisions_store import DecisionsStore, LogRecord
from bot.storage.meetings_store import MeetingsStore
from bot.storage.mirror_store import InterpretationRow, MirrorStore, SqliteTranslationCache
from bot.storage.people_store import PeopleStore
from bot.storage.polls_store import PollsStore
from bot.storage.rooms_store import AssemblyRoomsStore

NameOf = Callable[[str], str | None]
CenterOf = Callable[[str], str | None]


class MeetingNotFound(LookupError):
    pass


def moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class MinutesService:
    def __init__(
        self,
        *,
        decisions: DecisionsStore,
        meetings: MeetingsStore,
        polls: PollsStore,
        mirror: MirrorStore,
        translations: SqliteTranslationCache,
        rooms: AssemblyRoomsStore,
        people: PeopleStore,
        commitments: CommitmentsStore,
        approvals: ApprovalsStore,
        clock: Callable[[], int],
    ) -> None:
        self._decisions = decisions
        self._meetings = meetings
        self._polls = polls
        self._mirror = mirror
        self._translations = translations
        self._rooms = rooms
        self._people = people
        self._commitments = commitments
        self._approvals = approvals
        self._clock = clock

    async def meeting(self, assembly: str | None, meeting_id: int | None) -> Meeting:
        """The meeting asked for, or the assembly's open or latest one."""
        if meeting_id is not None:
            found = await self._meetings.meeting(meeting_id)
            if found is None or (assembly is not None and found.assembly != assembly):
                raise MeetingNotFound(meeting_id)
            return found
        latest = await self._meetings.latest_meeting(assembly or "")
        if latest is None:
            raise MeetingNotFound(None)
        return latest

    async def rooms_of(self, assembly: str) -> list[AssemblyRoom]:
        """The rooms as the bot last saw them configured (for the command line)."""
        return await self._rooms.rooms(assembly)

    async def build(
        self,
        meeting: Meeting,
        rooms: Sequence[AssemblyRoom],
        *,
        name_of: NameOf = lambda user: None,
        center_of: CenterOf = lambda user: None,
        transcript: bool = False,
    ) -> MinutesData:
        languages = list(dict.fromkeys(r.language for r in rooms)) or ["en"]
        zones = tuple(dict.fromkeys((r.center, r.timezone) for r in rooms))
        language_zones: dict[str, str] = {}
        for room in rooms:
            language_zones.setdefault(room.language, room.timezone)
        centers = [center for center, _ in zones]
        ended = meeting.ended_at or self._clock()
        entries = await self._decisions.entries_of_meeting(meeting.id)
        said, copies = await self._messages(meeting, ended, languages)
        attendance = await self._meetings.attendance(meeting.id)
        chairs = meeting.chairs(await self._meetings.chairs(meeting.id))
        turns = await self._meetings.turns(meeting.id)
        known = await self._people.known(meeting.assembly)
        interpreted = await self._mirror.interpretations(
            meeting.assembly, meeting.started_at, ended
        )
        kept = _stored_names(entries, said, interpreted)
        kept.update({user: person.name for user, person in known.items()})
        seen = {*chairs, *(a.user_id for a in attendance), *(t.user_id for t in turns)}
        names = _minutes_names(kept, seen, name_of, centers)
        said = [replace(message, name=names.get(message.user_id, message.name)) for message in said]
        centers_known = {user: person.center for user, person in known.items()}
        centers_known.update(_stored_centers(entries, said))
        centers_known.update({a.user_id: a.center for a in attendance})

        def member(user: str, center: str | None = None) -> Member:
            found = center or centers_known.get(user) or center_of(user) or ""
            return Member(user, names.get(user, user), found)

        agenda = await self._meetings.agenda(meeting.id)
        items = {item.id: item for item in agenda}
        return MinutesData(
            assembly=meeting.assembly,
            meeting_id=meeting.id,
            title=await self._written(meeting.title, meeting.title_language, languages),
            started_at=moment(meeting.started_at),
            ended_at=moment(meeting.ended_at) if meeting.ended_at else None,
            zones=zones,
            language_zones=tuple(language_zones.items()),
            chairs=tuple(member(c) for c in chairs if c),
            attendance=tuple(member(a.user_id, a.center) for a in attendance),
            agenda=tuple(
                [
                    AgendaEntry(
                        position=index,
                        title=await self._item_title(item, languages),
                        planned_seconds=item.timebox_seconds,
                        actual_seconds=_seconds(item.started_at, item.ended_at, ended),
                        status=item.status,
                    )
                    for index, item in enumerate(agenda, start=1)
                ]
            ),
            entries=tuple([await self._entry(e, member, items, languages) for e in entries]),
            polls=tuple(await self._poll_summaries(meeting.id, centers, languages, names)),
            turns=spoken_turns(turns, ended),
            messages=tuple(said),
            names=names,
            include_transcript=transcript,
            interpretations=tuple(_interpretations(interpreted, names)),
            copies=tuple(copies),
            languages=tuple(languages),
            approval=await self._approval(meeting),
            corrections=tuple(await self._corrections(meeting, member, languages)),
            **await self._follow_up(meeting, zones, ended, languages),
        )

    # -- between meetings -----------------------------------------------------------------------

    async def _approval(self, meeting: Meeting) -> Approval | None:
        approval = await valid_approval(self._approvals, self._decisions, meeting.id)
        if approval is None:
            return None
        return Approval(moment(approval.approved_at), approval.approved_in)

    async def _corrections(
        self, meeting: Meeting, member: Callable[..., Member], languages: Sequence[str]
    ) -> list[Correction]:
        return [
            Correction(
                text=await self._written(c.text, c.language, languages),
                author=member(c.author, c.author_center),
                at=moment(c.made_at),
                made_in=c.made_in,
            )
            for c in await self._approvals.corrections(meeting.id)
        ]

    async def _follow_up(
        self,
        meeting: Meeting,
        zones: Sequence[tuple[str, str]],
        until: int,
        languages: Sequence[str],
    ) -> dict[str, object]:
        """The assembly's commitments between the previous meeting's end and this one's."""
        earlier = [
            m for m in await self._meetings.meetings(meeting.assembly) if m.id < meeting.id
        ]
        since = (earlier[-1].ended_at or earlier[-1].started_at) if earlier else None
        zone_of = dict(zones)
        commitments = await self._commitments.all_of(meeting.assembly)
        summary: FollowUp = follow_up(
            commitments,
            since,
            until,
            [center for center, _ in zones],
            lambda center: zone_of.get(center, "UTC"),
        )
        shown = {
            c.id
            for row in summary.centers
            for c in (*row.done, *row.dropped, *row.open, *row.overdue)
        }
        texts = {
            c.id: await self._written(c.text, c.language, languages)
            for c in commitments
            if c.id in shown
        }
        return {"follow_up": summary, "commitment_texts": texts}

    # -- pieces -------------------------------------------------------------------------------

    async def _written(
        self,
        text: str,
        language: str,
        languages: Sequence[str],
        stored: Mapping[str, str] | None = None,
    ) -> WrittenText:
        """The words with their translations: as stored with them, else from the cache."""
        translations = dict(stored or {})
        for target in (t for t in languages if t != language and t not in translations):
            found = await self._translations.any_provider(language, target, text)
            if found:
                translations[target] = found
        return WrittenText(text, language, translations)

    async def _item_title(self, item: AgendaItem, languages: Sequence[str]) -> WrittenText:
        if item.title_key:
            return WrittenText(item.title, item.language, worded=Msg.of(item.title_key))
        return await self._written(item.title, item.language, languages)

    async def _entry(
        self,
        record: LogRecord,
        member: Callable[..., Member],
        items: dict,
        languages: Sequence[str],
    ) -> LogEntry:
        item = items.get(record.agenda_item_id)
        worded = (record.details or {}).get("worded")
        if isinstance(worded, dict):
            text = WrittenText(record.text, record.language, worded=from_data(worded))
        else:
            text = await self._written(
                record.text, record.language, languages, record.translations
            )
        return LogEntry(
            id=record.id,
            kind=record.kind,
            text=text,
            author=member(record.author, record.author_center),
            at=moment(record.created_at),
            item=await self._item_title(item, languages) if item else None,
            owner=member(record.owner, record.owner_center) if record.owner else None,
            due=record.due,
            number=record.number,
        )

    async def _messages(
        self, meeting: Meeting, until: int, languages: Sequence[str]
    ) -> tuple[list[SaidMessage], list[CopyOutcome]]:
        """What people said, each message with its translations (and who interpreted them),
        and how each copy reached its room, for the equity section."""
        rows = await self._mirror.transcript(meeting.assembly, meeting.started_at, until)
        by_event: dict[str, SaidMessage] = {}
        copies = []
        for row in rows:
            said = by_event.get(row.source_event_id)
            translations = dict(said.text.translations) if said else {}
            interpreters = dict(said.text.interpreters) if said else {}
            if row.translated:
                translations[row.target_language] = row.translated
            if row.translated and row.origin in HUMAN_ORIGINS and row.interpreter:
                interpreters[row.target_language] = row.interpreter
            text = WrittenText(row.text, row.source_language, translations, interpreters)
            by_event[row.source_event_id] = SaidMessage(
                user_id=row.sender,
                name=row.speaker or row.sender,
                center=row.center,
                at=moment(row.ts),
                text=text,
                event_id=row.source_event_id,
            )
            copies.append(
                CopyOutcome(
                    source_event_id=row.source_event_id,
                    center=row.center,
                    source_language=row.source_language,
                    target_language=row.target_language,
                    origin=row.origin,
                    translated=bool(row.translated),
                    settled_in_time=row.settled_in_time,
                    word_count=len(row.text.split()),
                    companion=row.companion,
                )
            )
        return list(by_event.values()), copies

    async def _poll_summaries(
        self,
        meeting_id: int,
        centers: Sequence[str],
        languages: Sequence[str],
        names: dict[str, str],
    ) -> list[PollSummary]:
        summaries = []
        for poll in await self._polls.polls_of_meeting(meeting_id):
            # The same tally as the poll's result message: a secret poll's sealed counts, and
            # the same centers withheld.
            result = poll.tally(await self._polls.ballots_of(poll), centers)
            shown = poll.disclosure(result.participants_by_center)
            answers = []
            for answer in poll.answer_ids:
                option = poll.option_text(answer)
                written = await self._written(option, poll.language, languages) if option else None
                answers.append((answer, written))
            dissents = [
                Dissent(names.get(d.voter, d.voter) if d.voter else None, d.center, d.reason, b)
                for b, group in ((True, result.blocks), (False, result.stand_asides))
                for d in shown.placed_last(group)
            ]
            summaries.append(
                PollSummary(
                    id=poll.id,
                    question=await self._written(poll.question, poll.language, languages),
                    kind=str(poll.kind),
                    rule=str(poll.rule) if poll.rule else None,
                    denominator=str(result.denominator),
                    answers=tuple(answers),
                    total=_count(None, result.total),
                    by_center=tuple(
                        _count(c, t) for c, t in result.by_center.items() if shown.shows(c)
                    ),
                    closed=not poll.is_open,
                    passed=result.passed,
                    quorum_met=result.quorum_met,
                    failed_centers=tuple(c for c in result.failed_centers if shown.shows(c)),
                    winners=tuple(result.winners),
                    dissents=tuple(dissents),
                    secret=poll.secret,
                    number=poll.number,
                    withheld=shown.withheld,
                    secret_floor=poll.secret_floor,
                )
            )
        return summaries


def _count(center: str | None, tally: object) -> CenterCount:
    return CenterCount(
        center,
        dict(tally.counts),  # type: ignore[attr-defined]
        tally.participants,  # type: ignore[attr-defined]
        tally.votes_cast,  # type: ignore[attr-defined]
    )


def _seconds(started: int | None, ended: int | None, fallback_end: int) -> float | None:
    if started is None:
        return None
    return max(0, (ended or fallback_end) - started) / 1000


def _stored_centers(entries: Sequence[LogRecord], said: Sequence[SaidMessage]) -> dict[str, str]:
    centers = {message.user_id: message.center for message in said if message.center}
    for entry in entries:
        if entry.author_center:
            centers[entry.author] = entry.author_center
        if entry.owner and entry.owner_center:
            centers[entry.owner] = entry.owner_center
    return centers


def _interpretations(
    rows: Sequence[InterpretationRow], names: Mapping[str, str]
) -> list[Interpretation]:
    return [
        Interpretation(
            row.interprets,
            names.get(row.sender, row.speaker or row.sender),
            moment(row.ts),
            row.text,
        )
        for row in rows
    ]


def _minutes_names(
    kept: Mapping[str, str], seen: set[str], name_of: NameOf, centers: Sequence[str]
) -> dict[str, str]:
    """Names as the homeserver gives them now, else as last seen (kept in the database, so a
    restart or the command line still has them), else as stored with what they wrote.

    Told apart again among the minutes' own people rather than trusted as kept: who reads like
    whom depends on who is in the record, and a name kept before a restart (or by an older
    version) may collide with another, or carry a tag its holder wrote."""
    names = dict(kept)
    for user in {*kept, *seen}:
        live = name_of(user)
        if live and live != user:
            names[user] = live
    return told_apart({user: bare_name(name, centers) for user, name in names.items()})


def _stored_names(
    entries: Sequence[LogRecord],
    said: Sequence[SaidMessage],
    interpreted: Sequence[InterpretationRow] = (),
) -> dict[str, str]:
    names: dict[str, str] = {row.sender: row.speaker for row in interpreted if row.speaker}
    for message in said:
        if message.name:
            names[message.user_id] = message.name
    for entry in entries:
        names[entry.author] = entry.author_name
        if entry.owner and entry.owner_name:
            names[entry.owner] = entry.owner_name
    return names
