"""Poll tallying under the cooperative's decision rules.

Pure domain logic: no I/O, no Matrix, no SQL. Two steps:

1. :func:`effective_ballots` turns raw Matrix poll responses (from every room of the assembly)
   into one ballot per voter, following MSC3381 as Element implements it.
2. :func:`tally` counts those ballots overall and per center and applies a :class:`DecisionRule`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType


class PollKind(StrEnum):
    YES_NO = "yes_no"
    CHOICE = "choice"
    CONSENSUS = "consensus"


class DecisionRule(StrEnum):
    MAJORITY = "majority"
    TWO_THIRDS = "two_thirds"
    CONSENSUS = "consensus"
    DOUBLE_MAJORITY = "double_majority"
    DOUBLE_TWO_THIRDS = "double_two_thirds"


class Denominator(StrEnum):
    """What a threshold was measured against; always recorded with the result."""

    VOTES_CAST = "votes_cast"  # yes + no; abstentions, blanks and spoiled ballots excluded
    NOT_APPLICABLE = "not_applicable"  # consensus counts blocks, not a fraction


YES, NO, ABSTAIN = "yes", "no", "abstain"
AGREE, STAND_ASIDE, BLOCK = "agree", "stand_aside", "block"

FIXED_ANSWERS: Mapping[PollKind, tuple[str, ...]] = MappingProxyType(
    {PollKind.YES_NO: (YES, NO, ABSTAIN), PollKind.CONSENSUS: (AGREE, STAND_ASIDE, BLOCK)}
)

RULES_FOR_KIND: Mapping[PollKind, frozenset[DecisionRule | None]] = MappingProxyType(
    {
        PollKind.YES_NO: frozenset(
            {
                DecisionRule.MAJORITY,
                DecisionRule.TWO_THIRDS,
                DecisionRule.DOUBLE_MAJORITY,
                DecisionRule.DOUBLE_TWO_THIRDS,
            }
        ),
        PollKind.CONSENSUS: frozenset({DecisionRule.CONSENSUS}),
        PollKind.CHOICE: frozenset({None}),
    }
)

PER_CENTER_RULES = frozenset({DecisionRule.DOUBLE_MAJORITY, DecisionRule.DOUBLE_TWO_THIRDS})


@dataclass(frozen=True)
class Response:
    """One poll response event as received (from any room of the assembly)."""

    voter: str
    center: str
    answers: tuple[str, ...]
    ts: int
    reason: str | None = None


@dataclass(frozen=True)
class Ballot:
    """A voter's effective vote. A spoiled ballot has no answers and counts for nothing."""

    voter: str
    center: str
    answers: tuple[str, ...]
    ts: int
    reason: str | None = None
    spoiled: bool = False


@dataclass(frozen=True)
class Quorum:
    """Minimum number of participating ballots (abstentions included, spoiled excluded)."""

    overall_min: int | None = None
    per_center_min: int | None = None


@dataclass(frozen=True)
class Dissent:
    """A stand-aside or block with its reason, for the minutes. ``voter`` None = anonymized."""

    voter: str | None
    center: str
    reason: str | None


TOTAL = "total"  # the ``center`` of the all-centers tally


@dataclass(frozen=True)
class CenterTally:
    """The count for one center, or for all of them (``center`` == :data:`TOTAL`).

    ``participants`` counts ballots that count for something (abstentions included);
    ``votes_cast`` leaves out abstentions. ``threshold_met`` is None for rules without one.
    """

    center: str
    counts: Mapping[str, int]
    participants: int
    votes_cast: int
    spoiled: int
    quorum_met: bool
    threshold_met: bool | None


@dataclass(frozen=True)
class TallyResult:
    """The outcome of a poll.

    ``passed`` is None for multiple choice (see ``winners``). ``quorum_met`` covers both the
    overall and the per-center minimum; ``failed_centers`` lists the centers that kept the motion
    from passing (per-center quorum, and the threshold under a double rule).
    """

    kind: PollKind
    rule: DecisionRule | None
    denominator: Denominator
    total: CenterTally
    by_center: Mapping[str, CenterTally]
    quorum: Quorum | None
    quorum_met: bool
    passed: bool | None
    failed_centers: tuple[str, ...] = ()
    winners: tuple[str, ...] = ()
    stand_asides: tuple[Dissent, ...] = ()
    blocks: tuple[Dissent, ...] = ()
    blocks_needed: int = 1

    @property
    def counts(self) -> Mapping[str, int]:
        return self.total.counts

    @property
    def participants(self) -> int:
        return self.total.participants

    @property
    def votes_cast(self) -> int:
        return self.total.votes_cast

    @property
    def spoiled(self) -> int:
        return self.total.spoiled

    @property
    def threshold_met(self) -> bool | None:
        return self.total.threshold_met

    @property
    def participants_by_center(self) -> dict[str, int]:
        return {center: count.participants for center, count in self.by_center.items()}

    def anonymized(self) -> TallyResult:
        """The same result without voter names (reasons stay, sorted so order reveals nothing)."""
        return replace(
            self,
            stand_asides=_anonymize(self.stand_asides),
            blocks=_anonymize(self.blocks),
        )


def _anonymize(dissents: tuple[Dissent, ...]) -> tuple[Dissent, ...]:
    nameless = (Dissent(None, d.center, d.reason) for d in dissents)
    return tuple(sorted(nameless, key=lambda d: (d.center, d.reason or "")))


# --- effective ballots -------------------------------------------------------------------------


def effective_ballots(
    responses: Iterable[Response],
    valid_answer_ids: Iterable[str],
    max_selections: int,
    closed_at: int | None,
) -> dict[str, Ballot]:
    """One ballot per voter, following MSC3381.

    - the latest response by ``ts`` counts (on equal ``ts``, the later one in ``responses``),
      even if it is spoiled; responses after ``closed_at`` are ignored (at ``closed_at`` counts);
    - an empty answer list withdraws the vote (the voter is absent from the result);
    - any unknown answer id spoils the vote; this is checked before truncating, as Element does;
    - answers are truncated to ``max_selections``, then duplicates removed.
    """
    if max_selections < 1:
        raise ValueError("max_selections must be at least 1")
    latest: dict[str, Response] = {}
    for response in responses:
        if closed_at is not None and response.ts > closed_at:
            continue
        current = latest.get(response.voter)
        if current is None or response.ts >= current.ts:
            latest[response.voter] = response
    valid = frozenset(valid_answer_ids)
    ballots: dict[str, Ballot] = {}
    for voter, response in latest.items():
        if not response.answers:
            continue
        spoiled = any(answer not in valid for answer in response.answers)
        answers = () if spoiled else tuple(dict.fromkeys(response.answers[:max_selections]))
        ballots[voter] = Ballot(
            voter, response.center, answers, response.ts, response.reason, spoiled
        )
    return ballots


# --- tally -------------------------------------------------------------------------------------


_Row = tuple[Ballot, tuple[str, ...]]  # a ballot and the answers it counts for


def tally(
    kind: PollKind,
    rule: DecisionRule | None,
    ballots: Mapping[str, Ballot] | Iterable[Ballot],
    centers: Sequence[str],
    quorum: Quorum | None = None,
    *,
    blocks_needed: int = 1,
    answer_ids: Sequence[str] = (),
) -> TallyResult:
    """Count ballots overall and per center and apply ``rule``.

    ``rule`` must suit ``kind`` (see :data:`RULES_FOR_KIND`; None for multiple choice).
    ``centers`` fixes the report order; a ballot from an unlisted center adds that center.
    For yes/no and consensus only a ballot's first answer is read. ``answer_ids`` lists a
    multiple-choice poll's options so that options nobody chose still show with zero.
    """
    if rule not in RULES_FOR_KIND[kind]:
        raise ValueError(f"rule {rule} does not apply to a {kind} poll")
    if blocks_needed < 1:
        raise ValueError("blocks_needed must be at least 1")
    all_ballots = list(ballots.values() if isinstance(ballots, Mapping) else ballots)
    ids = FIXED_ANSWERS.get(kind) or _choice_ids(answer_ids, all_ballots)
    rows = [(b, _selection(kind, b, ids)) for b in all_ballots]
    minimums = quorum or Quorum()
    base = _base_threshold(rule)

    total = _measure(TOTAL, rows, kind, ids, base, minimums.overall_min)
    by_center = {
        c: _measure(
            c, [r for r in rows if r[0].center == c], kind, ids, base, minimums.per_center_min
        )
        for c in dict.fromkeys([*centers, *(b.center for b in all_ballots)])
    }
    failed_centers = tuple(
        c
        for c, t in by_center.items()
        if not t.quorum_met or (rule in PER_CENTER_RULES and not t.threshold_met)
    )
    quorum_met = total.quorum_met and all(t.quorum_met for t in by_center.values())
    stand_asides = _dissents(rows, STAND_ASIDE) if kind is PollKind.CONSENSUS else ()
    blocks = _dissents(rows, BLOCK) if kind is PollKind.CONSENSUS else ()

    passed: bool | None = None
    if kind is PollKind.YES_NO:
        passed = quorum_met and bool(total.threshold_met) and not failed_centers
    elif kind is PollKind.CONSENSUS:
        passed = quorum_met and len(blocks) < blocks_needed and total.counts[AGREE] > 0

    return TallyResult(
        kind=kind,
        rule=rule,
        denominator=(
            Denominator.NOT_APPLICABLE if kind is PollKind.CONSENSUS else Denominator.VOTES_CAST
        ),
        total=total,
        by_center=MappingProxyType(by_center),
        quorum=quorum,
        quorum_met=quorum_met,
        passed=passed,
        failed_centers=failed_centers,
        winners=_winners(total.counts) if kind is PollKind.CHOICE else (),
        stand_asides=stand_asides,
        blocks=blocks,
        blocks_needed=blocks_needed,
    )


def _measure(
    center: str,
    rows: Sequence[_Row],
    kind: PollKind,
    ids: Sequence[str],
    base: DecisionRule | None,
    minimum: int | None,
) -> CenterTally:
    valid = [r for r in rows if r[1]]
    counts = dict.fromkeys(ids, 0)
    for _, selection in valid:
        for answer in selection:
            counts[answer] += 1
    return CenterTally(
        center=center,
        counts=MappingProxyType(counts),
        participants=len(valid),
        votes_cast=_votes_cast(kind, valid),
        spoiled=len(rows) - len(valid),
        quorum_met=minimum is None or len(valid) >= minimum,
        threshold_met=_threshold_met(base, counts),
    )


def _choice_ids(answer_ids: Sequence[str], ballots: Sequence[Ballot]) -> tuple[str, ...]:
    if answer_ids:
        return tuple(answer_ids)
    return tuple(dict.fromkeys(a for b in ballots if not b.spoiled for a in b.answers))


def _selection(kind: PollKind, ballot: Ballot, ids: Sequence[str]) -> tuple[str, ...]:
    """The answers this ballot counts for; empty means it counts for nothing (spoiled)."""
    if ballot.spoiled:
        return ()
    chosen = ballot.answers[:1] if kind in FIXED_ANSWERS else ballot.answers
    known = tuple(dict.fromkeys(a for a in chosen if a in ids))
    return known if len(known) == len(chosen) else ()


def _votes_cast(kind: PollKind, valid: Sequence[_Row]) -> int:
    """Ballots that take a side: abstention is not a vote cast."""
    if kind is PollKind.CONSENSUS:
        return len(valid)
    return sum(1 for _, selection in valid if any(a != ABSTAIN for a in selection))


def _base_threshold(rule: DecisionRule | None) -> DecisionRule | None:
    if rule is DecisionRule.DOUBLE_MAJORITY:
        return DecisionRule.MAJORITY
    if rule is DecisionRule.DOUBLE_TWO_THIRDS:
        return DecisionRule.TWO_THIRDS
    if rule in (DecisionRule.MAJORITY, DecisionRule.TWO_THIRDS):
        return rule
    return None


def _threshold_met(base: DecisionRule | None, counts: Mapping[str, int]) -> bool | None:
    """Majority: yes is more than half of yes + no. Two-thirds: yes >= 2 x no, and some yes."""
    if base is None:
        return None
    yes, no = counts[YES], counts[NO]
    if base is DecisionRule.MAJORITY:
        return 2 * yes > yes + no
    return yes > 0 and yes >= 2 * no


def _dissents(rows: Sequence[_Row], answer: str) -> tuple[Dissent, ...]:
    chosen = sorted((b for b, s in rows if s[:1] == (answer,)), key=lambda b: (b.ts, b.voter))
    return tuple(Dissent(b.voter, b.center, b.reason) for b in chosen)


def _winners(counts: Mapping[str, int]) -> tuple[str, ...]:
    """The most chosen option(s); several on a tie; none if nobody chose anything."""
    options = {a: n for a, n in counts.items() if a != ABSTAIN}
    top = max(options.values(), default=0)
    return tuple(a for a, n in options.items() if n == top) if top > 0 else ()
