"""What the minutes of a meeting say: a plain tree of values, and the speaking statistics.

Pure domain logic: no I/O, no Matrix, no SQL. The minutes service builds a `MinutesData` from the
stores' rows; the renderer words it in each language. Everything a person wrote is a
`WrittenText`: the original, the language it was written in, and any machine translations, so the
minutes can always say which is which.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.domain.commitments import FollowUp
from bot.domain.meetings import Turn
from bot.domain.messages import Msg
from bot.domain.secrecy import DEFAULT_SECRET_FLOOR
from bot.domain.speaking_time import MEASURES, Measure, time_spoken
from bot.domain.translation_equity import CopyOutcome, TranslationEquity, translation_equity
from bot.domain.wording import adds_something

AGREED, ACTION, INFO, IDEA = "agreed", "action", "info", "idea"


@dataclass(frozen=True)
class WrittenText:
    """Text a person wrote, in `language`, with machine translations by target language."""

    text: str
    language: str
    translations: Mapping[str, str] = field(default_factory=dict)
    # Translations an interpreter made or corrected, by target language: the interpreter's name.
    interpreters: Mapping[str, str] = field(default_factory=dict)
    # Words the bot wrote itself (an agenda item it added, an approval of minutes): worded from
    # the catalogs in each reader's language, never translated.
    worded: Msg | None = None

    def shown_in(self, language: str) -> tuple[str, bool]:
        """(the text to show a reader of `language`, whether it is a translation)."""
        if language == self.language:
            return self.text, False
        translated = self.translations.get(language)
        if adds_something(translated, self.text):
            return str(translated), True
        return self.text, False

    def interpreter_in(self, language: str) -> str | None:
        """Who interpreted the words shown to a reader of `language`, if a person did."""
        _, translated = self.shown_in(language)
        return self.interpreters.get(language) if translated else None


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    center: str


@dataclass(frozen=True)
class AgendaEntry:
    position: int
    title: WrittenText
    planned_seconds: int | None
    actual_seconds: int | None
    status: str  # pending, current, done


@dataclass(frozen=True)
class LogEntry:
    """An entry of the decision log: an agreement, an action item, information or an idea."""

    id: int
    kind: str
    text: WrittenText
    author: Member
    at: datetime
    item: WrittenText | None = None
    owner: Member | None = None
    due: date | None = None
    number: int | None = None  # among the meeting's entries of its kind, as chat announced it


@dataclass(frozen=True)
class CenterCount:
    """A poll's count in one center, or in all of them (`center` is None)."""

    center: str | None
    counts: Mapping[str, int]
    participants: int
    votes_cast: int


@dataclass(frozen=True)
class Dissent:
    """A stand-aside or a block, with its reason; `name` is None in a secret poll."""

    name: str | None
    center: str
    reason: str | None
    blocks: bool


@dataclass(frozen=True)
class PollSummary:
    id: int
    question: WrittenText
    kind: str  # yes_no, choice, consensus
    rule: str | None
    denominator: str
    answers: tuple[tuple[str, WrittenText | None], ...]  # (answer id, option text for choice polls)
    total: CenterCount
    by_center: tuple[CenterCount, ...]
    closed: bool
    passed: bool | None
    quorum_met: bool = True
    failed_centers: tuple[str, ...] = ()
    winners: tuple[str, ...] = ()
    dissents: tuple[Dissent, ...] = ()
    secret: bool = False
    number: int | None = None  # among the meeting's polls, as chat announced it
    # A secret poll's centers whose figures are withheld, as in the result in the rooms (their
    # counts are left out of `by_center`), and the floor that withheld them.
    withheld: tuple[str, ...] = ()
    secret_floor: int = DEFAULT_SECRET_FLOOR

    @property
    def label(self) -> str:
        return f"#{self.number if self.number is not None else self.id}"


@dataclass(frozen=True)
class SpokenTurn:
    """Time on the floor, from the speaker stack, and what ended it as it was counted (None
    for a turn given without it)."""

    user_id: str
    center: str
    kind: str
    seconds: float
    measure: Measure | None = None


def spoken_turns(turns: Iterable[Turn], until_ms: int) -> tuple[SpokenTurn, ...]:
    """The stack's turns as time on the floor, each counted by `time_spoken` (a turn still
    going, until `until_ms`). `!endmeeting` and the minutes both count speaking time from
    these, through `speaking_statistics`, so both say the same."""
    timed = []
    for turn in turns:
        seconds, measure = time_spoken(turn, until_ms)
        timed.append(SpokenTurn(turn.user_id, turn.center, str(turn.kind), seconds, measure))
    return tuple(timed)


def turns_by_measure(turns: Iterable[SpokenTurn]) -> tuple[tuple[Measure, int], ...]:
    """How many turns ended each way, in `MEASURES` order, leaving out the ways none did."""
    counts = Counter(turn.measure for turn in turns if turn.measure is not None)
    return tuple((measure, counts[measure]) for measure in MEASURES if counts[measure])


@dataclass(frozen=True)
class SaidMessage:
    """A message a person wrote in one of the rooms during the meeting (the transcript)."""

    user_id: str
    name: str
    center: str
    at: datetime
    text: WrittenText
    event_id: str = ""


@dataclass(frozen=True)
class Interpretation:
    """What an interpreter on duty said, and the event id of the message it interprets (None
    when it replied to nothing)."""

    interprets: str | None
    name: str
    at: datetime
    text: str


@dataclass(frozen=True)
class SpeakerStats:
    user_id: str
    name: str
    center: str
    turns: int
    seconds: float
    messages: int
    word_count: int


@dataclass(frozen=True)
class CenterStats:
    center: str
    speakers: int
    turns: int
    seconds: float
    messages: int
    word_count: int
    share_of_time: float | None  # of all speaking time; None when nobody has had the floor
    share_of_turns: float | None


@dataclass(frozen=True)
class SpeakingStatistics:
    people: tuple[SpeakerStats, ...]
    centers: tuple[CenterStats, ...]


def speaking_statistics(
    turns: Iterable[SpokenTurn],
    messages: Iterable[SaidMessage],
    centers: Sequence[str],
    names: Mapping[str, str],
) -> SpeakingStatistics:
    """Turns and speaking time (from the stack) and messages and words (from the rooms), per
    person and per center: so the assembly can see whether both centers were heard.

    Every center of the assembly appears, also one that never spoke: a zero is the point.
    """
    people: dict[str, dict[str, float]] = {}
    center_of: dict[str, str] = {}
    for turn in turns:
        tally = people.setdefault(turn.user_id, _empty())
        tally["turns"] += 1
        tally["seconds"] += max(0.0, turn.seconds)
        center_of.setdefault(turn.user_id, turn.center)
    for message in messages:
        tally = people.setdefault(message.user_id, _empty())
        tally["messages"] += 1
        tally["word_count"] += len(message.text.text.split())
        center_of.setdefault(message.user_id, message.center)
    speakers = tuple(
        sorted(
            (
                SpeakerStats(
                    user_id=user,
                    name=names.get(user, user),
                    center=center_of[user],
                    turns=int(t["turns"]),
                    seconds=t["seconds"],
                    messages=int(t["messages"]),
                    word_count=int(t["word_count"]),
                )
                for user, t in people.items()
            ),
            key=lambda s: (-s.seconds, -s.turns, -s.messages, s.name),
        )
    )
    all_centers = list(dict.fromkeys([*centers, *(s.center for s in speakers)]))
    total_seconds = sum(s.seconds for s in speakers)
    total_turns = sum(s.turns for s in speakers)
    by_center = []
    for center in all_centers:
        members = [s for s in speakers if s.center == center]
        seconds = sum(s.seconds for s in members)
        turn_count = sum(s.turns for s in members)
        by_center.append(
            CenterStats(
                center=center,
                speakers=sum(1 for s in members if s.turns or s.messages),
                turns=turn_count,
                seconds=seconds,
                messages=sum(s.messages for s in members),
                word_count=sum(s.word_count for s in members),
                share_of_time=seconds / total_seconds if total_seconds else None,
                share_of_turns=turn_count / total_turns if total_turns else None,
            )
        )
    return SpeakingStatistics(speakers, tuple(by_center))


def _empty() -> dict[str, float]:
    return {"turns": 0, "seconds": 0.0, "messages": 0, "word_count": 0}


@dataclass(frozen=True)
class Approval:
    """When a later meeting approved these minutes, and which one."""

    approved_at: datetime
    approved_in: int


@dataclass(frozen=True)
class Correction:
    """A correction a later meeting made to these minutes before approving them."""

    text: WrittenText
    author: Member
    at: datetime
    made_in: int | None


@dataclass(frozen=True)
class MinutesData:
    """Everything the minutes of one meeting hold, in no language yet."""

    assembly: str
    meeting_id: int
    title: WrittenText
    started_at: datetime
    ended_at: datetime | None
    zones: tuple[tuple[str, str], ...]  # (center, IANA zone), one per center, in room order
    chairs: tuple[Member, ...] = ()
    attendance: tuple[Member, ...] = ()
    agenda: tuple[AgendaEntry, ...] = ()
    entries: tuple[LogEntry, ...] = ()
    polls: tuple[PollSummary, ...] = ()
    turns: tuple[SpokenTurn, ...] = ()
    messages: tuple[SaidMessage, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)
    include_transcript: bool = False
    interpretations: tuple[Interpretation, ...] = ()
    copies: tuple[CopyOutcome, ...] = ()
    languages: tuple[str, ...] = ()
    # None: a draft, until a later meeting approves them.
    approval: Approval | None = None
    corrections: tuple[Correction, ...] = ()
    # What became of the assembly's commitments since the previous meeting (None: not shown),
    # with each commitment's words by its id.
    follow_up: FollowUp | None = None
    commitment_texts: Mapping[int, WrittenText] = field(default_factory=dict)
    # (language, IANA zone): the zone of each language's first room, whose clock the minutes
    # in that language tell time by.
    language_zones: tuple[tuple[str, str], ...] = ()

    @property
    def centers(self) -> tuple[str, ...]:
        return tuple(center for center, _ in self.zones)

    def zone_for(self, language: str) -> str:
        """The zone the minutes in `language` give times in: the room of that language's, or,
        for a language no room speaks, the first center's."""
        for spoken, zone in self.language_zones:
            if spoken == language:
                return zone
        return self.zones[0][1] if self.zones else "UTC"

    def zones_for(self, language: str) -> list[str]:
        """Every center's zone, the one of `language`'s room first."""
        return list(dict.fromkeys([self.zone_for(language), *(zone for _, zone in self.zones)]))

    def entries_of(self, kind: str) -> tuple[LogEntry, ...]:
        return tuple(e for e in self.entries if e.kind == kind)

    def attendance_by_center(self) -> list[tuple[str, tuple[Member, ...]]]:
        centers = list(dict.fromkeys([*self.centers, *(m.center for m in self.attendance)]))
        return [
            (center, tuple(sorted((m for m in self.attendance if m.center == center), key=_name)))
            for center in centers
        ]

    def actions_by_owner(self) -> list[tuple[Member | None, tuple[LogEntry, ...]]]:
        """Action items grouped by the person who took them on, in order of first mention."""
        groups: dict[str | None, list[LogEntry]] = {}
        owners: dict[str | None, Member | None] = {}
        for entry in self.entries_of(ACTION):
            key = entry.owner.user_id if entry.owner else None
            groups.setdefault(key, []).append(entry)
            owners.setdefault(key, entry.owner)
        return [(owners[key], tuple(entries)) for key, entries in groups.items()]

    def statistics(self) -> SpeakingStatistics:
        return speaking_statistics(self.turns, self.messages, self.centers, self.names)

    def equity(self) -> TranslationEquity:
        return translation_equity(self.copies, self.centers, self.languages)

    def interpretations_of(self, event_id: str) -> tuple[Interpretation, ...]:
        return tuple(i for i in self.interpretations if i.interprets == event_id)


def _name(member: Member) -> str:
    return member.name.casefold()
