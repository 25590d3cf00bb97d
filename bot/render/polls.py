"""Polls on the wire and in words: MSC3381 start and end events, and the result message.

The start event is what Element sends itself (unstable names, which Element reads), with a text
fallback for clients that do not show polls. Results and announcements are lists of catalog
messages, worded and escaped per room by the delivery like every other bot message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.assembly import Assembly
from bot.domain.events import MARKER
from bot.domain.limits import MAX_POLL_OPTION
from bot.domain.messages import Msg, Name, UserText
from bot.domain.polls import Poll, Progress, ResultView, answer_label, joined, listed
from bot.domain.secrecy import Disclosure
from bot.domain.tally import (
    BLOCK,
    PER_CENTER_RULES,
    STAND_ASIDE,
    TOTAL,
    CenterTally,
    Dissent,
    PollKind,
    TallyResult,
)
from bot.domain.wording import adds_something
from bot.i18n import Catalogs

POLL_START = "org.matrix.msc3381.poll.start"
POLL_END = "org.matrix.msc3381.poll.end"
TEXT = "org.matrix.msc1767.text"
DISCLOSED = "org.matrix.msc3381.poll.disclosed"
UNDISCLOSED = "org.matrix.msc3381.poll.undisclosed"
# Element refuses longer answers; the question gets the same room.
MAX_ANSWER_CHARS = MAX_POLL_OPTION


@dataclass(frozen=True)
class LocalizedPoll:
    """A poll's question and answers as worded for one room."""

    language: str
    question: str
    answers: tuple[tuple[str, str], ...]  # (answer id, text) in the poll's order


# -- the native poll events --------------------------------------------------------------------


def localized_poll(
    catalogs: Catalogs, poll: Poll, language: str, translated: Sequence[str | None]
) -> LocalizedPoll:
    """The poll's words in `language`: `translated` holds the question's and each option's
    translation (None: not translated), shown with the original beside."""

    def shown(text: str, index: int) -> str:
        found = translated[index] if index < len(translated) else None
        return f"{found} ({text})" if found and adds_something(found, text) else text

    if poll.kind is PollKind.CHOICE:
        options = [shown(option, index) for index, option in enumerate(poll.options, start=1)]
        answers = tuple(zip(poll.answer_ids, options, strict=True))
    else:
        answers = tuple(
            (answer, catalogs.template(language, f"poll.answer.{answer}"))
            for answer in poll.answer_ids
        )
    return LocalizedPoll(language, shown(poll.question, 0), answers)


def poll_start_content(poll: Poll, localized: LocalizedPoll, fallback: str) -> dict[str, Any]:
    """An `org.matrix.msc3381.poll.start` content, as Element sends it."""
    question = _fit(localized.question)
    return {
        POLL_START: {
            "kind": UNDISCLOSED if poll.secret else DISCLOSED,
            "max_selections": poll.max_selections,
            "question": {TEXT: question, "body": question, "msgtype": "m.text"},
            "answers": [
                {"id": answer_id, TEXT: _fit(text)} for answer_id, text in localized.answers
            ],
        },
        TEXT: fallback,
        "body": fallback,
        MARKER: {"kind": "poll", "poll": poll.id},
    }


def poll_end_content(start_event: Any, fallback: str) -> dict[str, Any]:
    """An `org.matrix.msc3381.poll.end` referring to the start (an event id or outbox ref)."""
    return {
        "m.relates_to": {"rel_type": "m.reference", "event_id": start_event},
        "org.matrix.msc3381.poll.end": {},
        TEXT: fallback,
        "body": fallback,
        MARKER: {"kind": "poll_end"},
    }


def start_fallback(catalogs: Catalogs, poll: Poll, localized: LocalizedPoll, prefix: str) -> str:
    """The poll as plain text, with how to vote by command, for clients without polls."""
    language = localized.language
    lines = [Msg.of("poll.start.title", number=poll.shown_number, question=localized.question)]
    for number, (_, text) in enumerate(localized.answers, start=1):
        lines.append(Msg.of("poll.start.option", number=number, answer=text))
    lines.append(_how_to_vote(poll, Msg.of("poll.vote_command", prefix=prefix)))
    return "\n".join(catalogs.text(language, line) for line in lines)


def end_fallback(catalogs: Catalogs, language: str, poll: Poll) -> str:
    return catalogs.text(language, Msg.of("poll.end.text", number=poll.shown_number))


def _how_to_vote(poll: Poll, vote: Msg) -> Msg:
    if poll.kind is PollKind.CONSENSUS:
        return Msg.of("poll.start.how_to_vote_consensus", vote=vote)
    if poll.max_selections > 1:
        return Msg.of("poll.start.how_to_vote_several", vote=vote, max=poll.max_selections)
    return Msg.of("poll.start.how_to_vote", vote=vote)


def _fit(text: str) -> str:
    return text if len(text) <= MAX_ANSWER_CHARS else text[: MAX_ANSWER_CHARS - 1] + "…"


# -- words shared by announcements and results -------------------------------------------------


def rule_label(poll: Poll) -> Msg:
    return Msg.of(f"poll.rule.{poll.rule}" if poll.rule else "poll.rule.choice")


def quorum_label(poll: Poll) -> Msg | Any:
    quorum = poll.quorum
    parts: list[Msg] = []
    if quorum and quorum.overall_min:
        parts.append(Msg.of("poll.quorum.overall", count=quorum.overall_min))
    if quorum and quorum.per_center_min:
        parts.append(Msg.of("poll.quorum.per_center", count=quorum.per_center_min))
    return joined(parts)


def deadline_times(assembly: Assembly, deadline_ms: int) -> str:
    """The deadline on each center's clock, e.g. "15:30 EDT (US), 13:30 CST (MX)"."""
    moment = datetime.fromtimestamp(deadline_ms / 1000, tz=UTC)
    seen: dict[str, str] = {}
    for room in assembly.rooms:
        local = moment.astimezone(ZoneInfo(room.timezone))
        seen.setdefault(room.center, f"{local:%H:%M %Z} ({room.center})")
    return ", ".join(seen.values())


# -- the announcement when a poll opens -----------------------------------------------------------


def person(name: str, center: str | None) -> Name:
    """A person as every message shows them: "Alice (US)"."""
    return Name(name, center=center)


def opened_lines(
    poll: Poll,
    assembly: Assembly,
    author_name: str,
    author_center: str,
    prefix: str,
    small_centers: Sequence[str] = (),
) -> list[Msg]:
    """The announcement; `small_centers` have fewer members than a secret poll's floor."""
    lines = [
        Msg.of(
            "poll.opened",
            number=poll.shown_number,
            name=person(author_name, author_center),
            question=UserText(poll.question, poll.language),
        ),
        Msg.of("poll.opened.rule", rule=rule_label(poll)),
    ]
    if poll.quorum:
        lines.append(Msg.of("poll.opened.quorum", quorum=quorum_label(poll)))
    if poll.deadline_at:
        lines.append(
            Msg.of("poll.opened.deadline", times=deadline_times(assembly, poll.deadline_at))
        )
    if poll.secret:
        # No poll the room could answer: the options, and where the ballot is.
        lines.extend(_options(poll))
        lines.append(Msg.of("poll.opened.secret"))
        lines.append(
            Msg.of("poll.opened.get_ballot", ballot=Msg.of("poll.ballot_command", prefix=prefix))
        )
        lines.extend(_few_members(poll, small_centers))
        return lines
    lines.append(Msg.of("poll.opened.open"))
    vote = Msg.of("poll.vote_command", prefix=prefix)
    lines.append(_how_to_vote(poll, vote))
    return lines


def _few_members(poll: Poll, small_centers: Sequence[str]) -> list[Msg]:
    """Said before anyone votes: a small center's counts will likely be withheld, and under a
    double rule the outcome still tells whether that center reached the threshold."""
    if not small_centers:
        return []
    lines = [
        Msg.of("poll.opened.few_members", centers=joined(small_centers), floor=poll.secret_floor)
    ]
    if poll.rule in PER_CENTER_RULES:
        lines.append(Msg.of("poll.opened.few_members_double"))
    return lines


def _options(poll: Poll) -> list[Msg]:
    return [
        Msg.of("poll.start.option", number=number, answer=answer_label(poll, answer))
        for number, answer in enumerate(poll.answer_ids, start=1)
    ]


def ballot_lines(poll: Poll, prefix: str) -> list[Msg]:
    """What comes with a secret poll's ballot in a person's direct chat with the bot."""
    vote = Msg.of("poll.vote_command_numbered", prefix=prefix, number=poll.shown_number)
    return [
        Msg.of(
            "poll.ballot.intro",
            number=poll.shown_number,
            question=UserText(poll.question, poll.language),
        ),
        Msg.of("poll.ballot.privacy"),
        _how_to_vote(poll, vote),
    ]


# -- the result ----------------------------------------------------------------------------------


def result_lines(view: ResultView) -> list[Msg]:
    poll, result = view.poll, view.result
    question = UserText(poll.question, poll.language)
    if view.closed_by_name:
        header = Msg.of(
            "poll.result.closed_by",
            number=poll.shown_number,
            name=person(view.closed_by_name, view.closed_by_center),
            question=question,
        )
    else:
        header = Msg.of(
            "poll.result.closed_at_deadline", number=poll.shown_number, question=question
        )
    lines = [header, outcome_line(poll, result), Msg.of("poll.result.rule", rule=rule_label(poll))]
    if poll.quorum:
        key = "poll.result.quorum_met" if result.quorum_met else "poll.result.quorum_not_met"
        lines.append(Msg.of(key, quorum=quorum_label(poll)))
    lines.append(_count_line(poll, result, result.total))
    lines.extend(_center_lines(view))
    lines.extend(_dissent_lines(view))
    lines.extend(_voter_lines(view))
    return lines


def count_lines(view: ResultView) -> list[Msg]:
    """The counts overall, then each center's (or that it is withheld, and why)."""
    return [_count_line(view.poll, view.result, view.result.total), *_center_lines(view)]


def _center_lines(view: ResultView) -> list[Msg]:
    """Each center's count, unless a secret poll withholds it; then why, and under a double
    rule that failed, that where it fell short is not said either."""
    poll, result, shown = view.poll, view.result, view.disclosure
    lines = [
        _count_line(poll, result, count)
        if shown.shows(center)
        else Msg.of("poll.result.withheld", where=center)
        for center, count in result.by_center.items()
    ]
    if shown.withheld:
        lines.append(Msg.of("poll.withheld_why", floor=shown.floor))
        if poll.rule in PER_CENTER_RULES and result.quorum_met and not result.passed:
            lines.append(Msg.of("poll.result.threshold_withheld"))
    return lines


def outcome_line(poll: Poll, result: TallyResult) -> Msg:
    # Without its quorum a poll decides nothing, whatever its kind, and says so the same way.
    if not result.quorum_met:
        return Msg.of("poll.result.no_quorum")
    if poll.kind is not PollKind.CHOICE:
        return Msg.of("poll.result.passed" if result.passed else "poll.result.failed")
    winners = [answer_label(poll, answer) for answer in result.winners]
    if not winners:
        return Msg.of("poll.result.nothing_chosen")
    if len(winners) == 1:
        return Msg.of("poll.result.chosen", answers=winners[0])
    return Msg.of("poll.result.tie", answers=listed(winners))


def _count_line(poll: Poll, result: TallyResult, count: CenterTally) -> Msg:
    counts = [
        Msg.of("poll.count", answer=answer_label(poll, answer), count=number)
        for answer, number in count.counts.items()
    ]
    summary: list[Msg] = [Msg.of("poll.summary.voted", count=count.participants)]
    if poll.kind is PollKind.YES_NO:
        summary.append(Msg.of("poll.summary.cast", count=count.votes_cast))
    if count.spoiled:
        summary.append(Msg.of("poll.summary.spoiled", count=count.spoiled))
    if count.center in result.failed_centers:
        if not count.quorum_met:
            summary.append(Msg.of("poll.summary.quorum_not_met"))
        if count.threshold_met is False:
            summary.append(Msg.of("poll.summary.threshold_not_met"))
    where = Msg.of("poll.result.everyone") if count.center == TOTAL else count.center
    return Msg.of("poll.result.line", where=where, counts=joined(counts), summary=joined(summary))


def _dissent_lines(view: ResultView) -> list[Msg]:
    result, shown = view.result, view.disclosure
    lines = []
    for key, dissents in (
        ("poll.result.stood_aside", result.stand_asides),
        ("poll.result.blocked", result.blocks),
    ):
        if dissents:
            people = [_dissent(d, view.names, shown) for d in shown.placed_last(dissents)]
            lines.append(Msg.of(key, people=joined(people)))
    return lines


def _dissent(dissent: Dissent, names: Mapping[str, str], shown: Disclosure) -> Msg:
    # A reason is shown as written: its language is the voter's, and it is theirs to word.
    reason = dissent.reason or None
    if dissent.voter is None and not shown.shows(dissent.center):
        if reason is None:
            return Msg.of("poll.dissent.anonymous_unplaced_no_reason")
        return Msg.of("poll.dissent.anonymous_unplaced", reason=reason)
    if dissent.voter is None:
        if reason is None:
            return Msg.of("poll.dissent.anonymous_no_reason", center=dissent.center)
        return Msg.of("poll.dissent.anonymous", center=dissent.center, reason=reason)
    name = names.get(dissent.voter, dissent.voter)
    if reason is None:
        return Msg.of("poll.dissent.named_no_reason", name=Name(name), center=dissent.center)
    return Msg.of("poll.dissent.named", name=Name(name), center=dissent.center, reason=reason)


def _voter_lines(view: ResultView) -> list[Msg]:
    """Open polls say who voted for what; secret polls say that they do not."""
    poll = view.poll
    if poll.secret:
        return [Msg.of("poll.result.secret")]
    lines = []
    # Who stood aside or blocked is already named, with the reason, above.
    named = {STAND_ASIDE, BLOCK} if poll.kind is PollKind.CONSENSUS else set()
    for answer in (a for a in poll.answer_ids if a not in named):
        voters = sorted(
            (
                (view.names.get(b.voter, b.voter), b.center)
                for b in view.ballots.values()
                if answer in b.answers
            ),
            key=lambda voter: (voter[0].casefold(), voter[1]),
        )
        if voters:
            lines.append(
                Msg.of(
                    "poll.result.voters",
                    answer=answer_label(poll, answer),
                    names=joined([person(name, center) for name, center in voters]),
                )
            )
    return lines


# -- an open poll's turnout ----------------------------------------------------------------------


def progress_lines(progress: Progress, assembly: Assembly) -> list[Msg]:
    """How many have voted so far; the counts themselves wait for the close. A secret poll's
    turnout per center follows the same floor as its result."""
    poll, shown = progress.poll, progress.disclosure
    centers = [
        Msg.of("poll.center_count", center=c, count=n)
        if shown.shows(c)
        else Msg.of("poll.center_withheld", center=c)
        for c, n in progress.by_center.items()
    ]
    lines = [
        Msg.of(
            "poll.progress",
            number=poll.shown_number,
            question=UserText(poll.question, poll.language),
            rule=rule_label(poll),
            voted=progress.voted,
            centers=joined(centers),
        )
    ]
    if shown.withheld:
        lines.append(Msg.of("poll.withheld_why", floor=shown.floor))
    if poll.deadline_at:
        lines.append(
            Msg.of("poll.opened.deadline", times=deadline_times(assembly, poll.deadline_at))
        )
    return lines
