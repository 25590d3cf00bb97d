"""A poll of the assembly: what it asks, what a vote says, and what its result records.

Pure values and rules, no I/O: the store builds a `Poll` from its row, the service counts its
ballots with `Poll.tally`, and chat, results and minutes all read that one tally.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain import secrecy
from bot.domain.messages import Msg, UserText
from bot.domain.secrecy import DEFAULT_SECRET_FLOOR, Disclosure
from bot.domain.tally import (
    BLOCK,
    FIXED_ANSWERS,
    STAND_ASIDE,
    Ballot,
    DecisionRule,
    Dissent,
    PollKind,
    Quorum,
    Response,
    TallyResult,
    effective_ballots,
    tally,
)

Label = Msg | UserText


@dataclass(frozen=True, kw_only=True)
class Poll:
    """One poll of an assembly, shown in every room but counted as one.

    The same record is the poll asked for, which the service hands to the store, and the poll
    the store gives back: `id`, `number` and the closing are None until the store sets them."""

    id: int | None = None
    assembly: str
    meeting_id: int | None
    kind: PollKind
    rule: DecisionRule | None
    question: str
    language: str
    options: tuple[str, ...]
    max_selections: int
    secret: bool
    ballot_key: str | None
    quorum: Quorum | None
    deadline_at: int | None
    created_by: str
    created_in: str
    created_at: int
    source_event_id: str  # the `!poll` that asked for it
    # The meeting whose numbering the poll takes its number in: the open meeting, or between
    # meetings the latest one (None before the assembly's first meeting).
    numbered_in: int | None = None
    # Its number in the numbering of `numbered_in`: what people read and type as `#n`. `id` is
    # the database's own, never shown.
    number: int | None = None
    closed_at: int | None = None
    closed_by: str | None = None
    # A secret poll shows a center's figures only from this many ballots there: the assembly's
    # setting when the poll was opened, so that lowering it later reveals no earlier poll.
    secret_floor: int = DEFAULT_SECRET_FLOOR

    @property
    def shown_number(self) -> int:
        return self.number if self.number is not None else self.id

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def answer_ids(self) -> tuple[str, ...]:
        """The same ids in every room: fixed words, or the option numbers "1", "2", …"""
        fixed = FIXED_ANSWERS.get(self.kind)
        return fixed if fixed else tuple(str(n) for n in range(1, len(self.options) + 1))

    def option_text(self, answer_id: str) -> str | None:
        """What the creator wrote for a multiple-choice option (None for fixed answers)."""
        if self.kind is not PollKind.CHOICE or not answer_id.isdigit():
            return None
        index = int(answer_id) - 1
        return self.options[index] if 0 <= index < len(self.options) else None

    def ballots(self, responses: Sequence[Response]) -> dict[str, Ballot]:
        """Each voter's vote as it stands (or stood at the close)."""
        return effective_ballots(responses, self.answer_ids, self.max_selections, self.closed_at)

    def tally(self, ballots: Mapping[str, Ballot], centers: Sequence[str]) -> TallyResult:
        result = tally(
            self.kind, self.rule, ballots, centers, self.quorum, answer_ids=self.answer_ids
        )
        return result.anonymized() if self.secret else result

    def disclosure(self, ballots: Mapping[str, int]) -> Disclosure:
        """Which centers' figures may be shown, given each center's ballots: all of them in an
        open poll, whose result names every voter anyway."""
        if not self.secret:
            return Disclosure(self.secret_floor)
        return secrecy.disclosure(ballots, self.secret_floor)

    def voter_key(self, user_id: str) -> str:
        """Who a response is from: the Matrix id, or in a secret poll a keyed hash that still
        keeps one vote per person but links to nobody once the key is erased at the close."""
        if not self.secret or not self.ballot_key:
            return user_id
        digest = hmac.new(bytes.fromhex(self.ballot_key), user_id.encode(), hashlib.sha256)
        return "secret:" + digest.hexdigest()[:32]


@dataclass(frozen=True)
class PollRequest:
    """A poll as asked for by `!poll`, checked and complete."""

    kind: PollKind
    rule: DecisionRule | None
    question: str
    options: tuple[str, ...] = ()
    max_selections: int = 1
    secret: bool = False
    quorum: Quorum | None = None
    deadline_seconds: int | None = None


@dataclass(frozen=True)
class BallotChoice:
    """What a `!vote` says: answer ids (none = withdraw) and, for consensus, a reason."""

    answers: tuple[str, ...]
    reason: str | None = None


@dataclass(frozen=True)
class Progress:
    """An open poll and how many have voted so far, overall and per center."""

    poll: Poll
    voted: int
    by_center: dict[str, int]

    @property
    def disclosure(self) -> Disclosure:
        return self.poll.disclosure(self.by_center)


@dataclass(frozen=True)
class ResultView:
    """A closed poll's one tally, with what a result message needs beyond it: who closed the
    poll and people's names (each shown beside their center, as mirrored messages show them)."""

    poll: Poll
    result: TallyResult
    ballots: Mapping[str, Ballot]
    names: Mapping[str, str]
    closed_by_name: str | None
    closed_by_center: str | None = None

    @property
    def disclosure(self) -> Disclosure:
        return self.poll.disclosure(self.result.participants_by_center)


# -- words about a poll, as catalog messages ------------------------------------------------------


def joined(items: Sequence[Any]) -> Msg | Any:
    """A list as "a, b, c" in any language, built from the catalogs' own separator."""
    if not items:
        return Msg.of("poll.none")
    if len(items) == 1:
        return items[0]
    return Msg.of("poll.join", head=items[0], tail=joined(items[1:]))


def listed(items: Sequence[Any]) -> Msg | Any:
    """Every one of a list, as "a, b and c" / "a, b y c": a tie is between all of them."""
    if len(items) < 2:
        return joined(items)
    return Msg.of("poll.join_last", head=joined(items[:-1]), tail=items[-1])


def answer_label(poll: Poll, answer_id: str) -> Label:
    """A fixed answer in the room's language, or an option as its author wrote it."""
    option = poll.option_text(answer_id)
    if option is not None:
        return UserText(option, poll.language)
    return Msg.of(f"poll.answer.{answer_id}")


# -- rules about a vote and a result ---------------------------------------------------------------


def needs_reason(poll: Poll, choice: BallotChoice) -> bool:
    return (
        poll.kind is PollKind.CONSENSUS
        and choice.answers[:1] in ((BLOCK,), (STAND_ASIDE,))
        and not choice.reason
    )


def reason_request(poll: Poll, choice: BallotChoice, prefix: str) -> Msg:
    answer = choice.answers[0]
    return Msg.of(
        "poll.reason_wanted",
        example=Msg.of(f"poll.reason_example.{answer}", prefix=prefix, number=poll.shown_number),
    )


def vote_privately(poll: Poll, prefix: str) -> Msg:
    return Msg.of("poll.error.vote_privately", **privately(poll, prefix))


def privately(poll: Poll, prefix: str) -> dict[str, Any]:
    """The values of a message that sends a voter to their direct chat with the bot."""
    return {"number": poll.shown_number, "ballot": Msg.of("poll.ballot_command", prefix=prefix)}


def outcome_of(poll: Poll, result: TallyResult) -> str:
    """The decision log's one-word outcome: "no_quorum" for any poll short of its quorum."""
    if not result.quorum_met:
        return "no_quorum"
    if poll.kind is not PollKind.CHOICE:
        return "passed" if result.passed else "failed"
    if not result.winners:
        return "no_votes"
    return "chosen" if len(result.winners) == 1 else "tied"


def decision_details(view: ResultView) -> dict[str, Any]:
    """Everything the minutes need to word the result again, in any language. A secret poll's
    details name nobody: the tally is anonymized and the list of voters is left out."""
    poll, result = view.poll, view.result
    quorum = poll.quorum
    details: dict[str, Any] = {
        "poll_kind": str(poll.kind),
        "rule": str(poll.rule) if poll.rule else None,
        "denominator": str(result.denominator),
        "secret": poll.secret,
        "answers": [{"id": answer, "text": poll.option_text(answer)} for answer in poll.answer_ids],
        "max_selections": poll.max_selections,
        "quorum": (
            {"overall": quorum.overall_min, "per_center": quorum.per_center_min} if quorum else None
        ),
        "quorum_met": result.quorum_met,
        "passed": result.passed,
        "winners": list(result.winners),
        "failed_centers": list(result.failed_centers),
        "counts": {
            count.center: {
                "answers": dict(count.counts),
                "voted": count.participants,
                "votes_cast": count.votes_cast,
                "spoiled": count.spoiled,
            }
            for count in (result.total, *result.by_center.values())
        },
        "stand_asides": [_dissent_record(d) for d in result.stand_asides],
        "blocks": [_dissent_record(d) for d in result.blocks],
        "created_by": poll.created_by,
        "created_at": poll.created_at,
        "deadline_at": poll.deadline_at,
        "closed_by": poll.closed_by,
        "closed_at": poll.closed_at,
    }
    if not poll.secret:
        details["voters"] = {
            answer: sorted(b.voter for b in view.ballots.values() if answer in b.answers)
            for answer in poll.answer_ids
        }
    return details


def _dissent_record(dissent: Dissent) -> dict[str, Any]:
    return {"voter": dissent.voter, "center": dissent.center, "reason": dissent.reason}
