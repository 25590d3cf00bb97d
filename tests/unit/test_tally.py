"""Tallying polls, told as assemblies: who voted what, in which room, and what was decided."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.tally import (
    ABSTAIN,
    AGREE,
    BLOCK,
    NO,
    STAND_ASIDE,
    YES,
    Ballot,
    DecisionRule,
    Denominator,
    Dissent,
    PollKind,
    Quorum,
    Response,
    effective_ballots,
    tally,
)

US, MX, QC = "US", "MX", "QC"
CENTERS = (US, MX)
YES_NO_IDS = (YES, NO, ABSTAIN)
CONSENSUS_IDS = (AGREE, STAND_ASIDE, BLOCK)


def votes(*spec: tuple[str, str, str] | tuple[str, str, str, str]) -> list[Ballot]:
    """Ballots from (voter, center, answer[, reason]) — one answer each."""
    return [
        Ballot(voter, center, (answer,), ts, rest[0] if rest else None)
        for ts, (voter, center, answer, *rest) in enumerate(spec, start=1)
    ]


def crowd(center: str, answer: str, count: int, prefix: str = "") -> list[tuple[str, str, str]]:
    tag = prefix or f"{center}-{answer}"
    return [(f"{tag}-{i}", center, answer) for i in range(count)]


def yes_no(rule: DecisionRule, ballots: list[Ballot], quorum: Quorum | None = None):
    return tally(PollKind.YES_NO, rule, ballots, CENTERS, quorum)


# --- effective ballots: MSC3381 rules ---------------------------------------------------------


def test_beto_changes_his_mind_and_only_his_latest_vote_counts() -> None:
    ballots = effective_ballots(
        [Response("beto", MX, (NO,), 100), Response("beto", MX, (YES,), 200)],
        YES_NO_IDS,
        1,
        None,
    )
    assert ballots["beto"].answers == (YES,)


def test_the_latest_vote_is_by_timestamp_not_by_arrival() -> None:
    ballots = effective_ballots(
        [Response("beto", MX, (YES,), 200), Response("beto", MX, (NO,), 100)],
        YES_NO_IDS,
        1,
        None,
    )
    assert ballots["beto"].answers == (YES,)


def test_on_equal_timestamps_the_later_response_wins() -> None:
    ballots = effective_ballots(
        [Response("ana", US, (NO,), 100), Response("ana", US, (YES,), 100)],
        YES_NO_IDS,
        1,
        None,
    )
    assert ballots["ana"].answers == (YES,)


def test_a_vote_after_the_poll_closed_is_ignored_but_one_at_the_closing_moment_counts() -> None:
    ballots = effective_ballots(
        [
            Response("ana", US, (YES,), 100),
            Response("ana", US, (NO,), 301),  # too late: ana's yes stands
            Response("beto", MX, (NO,), 300),
            Response("carla", MX, (YES,), 500),
        ],
        YES_NO_IDS,
        1,
        closed_at=300,
    )
    assert ballots["ana"].answers == (YES,)
    assert ballots["beto"].answers == (NO,)
    assert "carla" not in ballots


def test_an_unknown_answer_spoils_the_vote_and_replaces_the_earlier_one() -> None:
    ballots = effective_ballots(
        [Response("dan", US, (YES,), 100), Response("dan", US, ("maybe",), 200)],
        YES_NO_IDS,
        1,
        None,
    )
    assert ballots["dan"].spoiled
    assert ballots["dan"].answers == ()


def test_a_valid_vote_after_a_spoiled_one_counts_again() -> None:
    ballots = effective_ballots(
        [Response("dan", US, ("maybe",), 100), Response("dan", US, (NO,), 200)],
        YES_NO_IDS,
        1,
        None,
    )
    assert not ballots["dan"].spoiled
    assert ballots["dan"].answers == (NO,)


def test_an_empty_response_withdraws_the_vote() -> None:
    ballots = effective_ballots(
        [Response("lupe", MX, (YES,), 100), Response("lupe", MX, (), 200)],
        YES_NO_IDS,
        1,
        None,
    )
    assert "lupe" not in ballots


def test_voting_again_after_withdrawing_counts() -> None:
    ballots = effective_ballots(
        [
            Response("lupe", MX, (YES,), 100),
            Response("lupe", MX, (), 200),
            Response("lupe", MX, (NO,), 300),
        ],
        YES_NO_IDS,
        1,
        None,
    )
    assert ballots["lupe"].answers == (NO,)


def test_a_withdrawal_after_the_close_does_not_take_the_vote_back() -> None:
    ballots = effective_ballots(
        [Response("lupe", MX, (YES,), 100), Response("lupe", MX, (), 400)],
        YES_NO_IDS,
        1,
        closed_at=300,
    )
    assert ballots["lupe"].answers == (YES,)


def test_selections_are_truncated_to_max_selections() -> None:
    ballots = effective_ballots(
        [Response("ana", US, ("tacos", "pizza", "sushi"), 100)],
        ("tacos", "pizza", "sushi"),
        2,
        None,
    )
    assert ballots["ana"].answers == ("tacos", "pizza")


def test_an_unknown_answer_beyond_max_selections_still_spoils_as_in_element() -> None:
    ballots = effective_ballots([Response("ana", US, (YES, "maybe"), 100)], YES_NO_IDS, 1, None)
    assert ballots["ana"].spoiled


def test_repeated_answers_count_once_after_truncation() -> None:
    ballots = effective_ballots(
        [Response("ana", US, ("tacos", "tacos", "pizza"), 100)], ("tacos", "pizza"), 2, None
    )
    assert ballots["ana"].answers == ("tacos",)


def test_the_reason_of_the_latest_response_is_kept() -> None:
    ballots = effective_ballots(
        [
            Response("carla", MX, (STAND_ASIDE,), 100, "no estoy segura"),
            Response("carla", MX, (BLOCK,), 200, "viola nuestros estatutos"),
        ],
        CONSENSUS_IDS,
        1,
        None,
    )
    assert ballots["carla"].reason == "viola nuestros estatutos"


def test_max_selections_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        effective_ballots([], YES_NO_IDS, 0, None)


# --- majority ---------------------------------------------------------------------------------


def test_majority_passes_with_more_yes_than_no_and_says_its_denominator() -> None:
    ballots = votes(("ana", US, YES), ("beto", MX, NO), ("carla", MX, YES))
    result = yes_no(DecisionRule.MAJORITY, ballots)
    assert result.passed
    assert result.denominator is Denominator.VOTES_CAST
    assert result.votes_cast == 3


def test_a_majority_is_more_yes_than_no_whatever_the_abstentions() -> None:
    ballots = votes(*crowd(US, YES, 4), *crowd(MX, NO, 3), *crowd(MX, ABSTAIN, 50))
    result = yes_no(DecisionRule.MAJORITY, ballots)
    assert result.passed  # 4 of 7 votes cast, though 57 took part
    assert (result.votes_cast, result.participants) == (7, 57)


def test_a_tie_is_not_a_majority() -> None:
    result = yes_no(DecisionRule.MAJORITY, votes(*crowd(US, YES, 2), *crowd(MX, NO, 2)))
    assert result.threshold_met is False
    assert result.passed is False


def test_abstentions_are_not_votes_cast() -> None:
    ballots = votes(*crowd(US, YES, 3), *crowd(MX, NO, 2), *crowd(MX, ABSTAIN, 10))
    result = yes_no(DecisionRule.MAJORITY, ballots)
    assert result.passed
    assert result.votes_cast == 5
    assert result.participants == 15
    assert result.counts == {YES: 3, NO: 2, ABSTAIN: 10}


def test_a_poll_where_everyone_abstains_does_not_pass() -> None:
    result = yes_no(DecisionRule.MAJORITY, votes(*crowd(US, ABSTAIN, 4)))
    assert result.votes_cast == 0
    assert result.passed is False


def test_a_poll_nobody_answered_does_not_pass() -> None:
    result = yes_no(DecisionRule.MAJORITY, [])
    assert result.passed is False
    assert result.participants == 0


def test_spoiled_ballots_count_for_nothing() -> None:
    ballots = effective_ballots(
        [
            Response("ana", US, (YES,), 1),
            Response("dan", US, ("maybe",), 2),
            Response("beto", MX, (NO,), 3),
        ],
        YES_NO_IDS,
        1,
        None,
    )
    result = yes_no(DecisionRule.MAJORITY, list(ballots.values()))
    assert result.spoiled == 1
    assert result.by_center[US].spoiled == 1
    assert result.votes_cast == 2
    assert result.passed is False  # 1 yes, 1 no


# --- two thirds -------------------------------------------------------------------------------


def test_exactly_two_thirds_passes() -> None:
    result = yes_no(DecisionRule.TWO_THIRDS, votes(*crowd(US, YES, 4), *crowd(MX, NO, 2)))
    assert result.passed


def test_one_short_of_two_thirds_fails() -> None:
    result = yes_no(DecisionRule.TWO_THIRDS, votes(*crowd(US, YES, 5), *crowd(MX, NO, 3)))
    assert result.passed is False


def test_two_thirds_needs_at_least_one_yes() -> None:
    assert yes_no(DecisionRule.TWO_THIRDS, votes(*crowd(US, ABSTAIN, 3))).passed is False
    assert yes_no(DecisionRule.TWO_THIRDS, votes(("ana", US, YES))).passed


def test_two_thirds_ignores_abstentions() -> None:
    ballots = votes(*crowd(US, YES, 2), ("beto", MX, NO), *crowd(MX, ABSTAIN, 5))
    assert yes_no(DecisionRule.TWO_THIRDS, ballots).passed


# --- double majority (both centers) -----------------------------------------------------------


def test_double_majority_passes_when_both_centers_and_the_total_agree() -> None:
    ballots = votes(*crowd(US, YES, 3), *crowd(US, NO, 1), *crowd(MX, YES, 2), *crowd(MX, NO, 1))
    result = yes_no(DecisionRule.DOUBLE_MAJORITY, ballots)
    assert result.passed
    assert result.failed_centers == ()
    assert result.by_center[US].counts == {YES: 3, NO: 1, ABSTAIN: 0}
    assert result.by_center[MX].votes_cast == 3


def test_the_us_outvotes_mexico_but_a_double_majority_fails_in_mx() -> None:
    ballots = votes(*crowd(US, YES, 10), *crowd(MX, YES, 1), *crowd(MX, NO, 3))
    assert yes_no(DecisionRule.MAJORITY, ballots).passed
    result = yes_no(DecisionRule.DOUBLE_MAJORITY, ballots)
    assert result.threshold_met  # overall 11 to 3
    assert result.passed is False
    assert result.failed_centers == (MX,)
    assert result.by_center[US].threshold_met
    assert result.by_center[MX].threshold_met is False


def test_a_center_where_everyone_abstained_fails_a_double_majority() -> None:
    ballots = votes(*crowd(US, YES, 5), *crowd(MX, ABSTAIN, 4))
    result = yes_no(DecisionRule.DOUBLE_MAJORITY, ballots)
    assert result.passed is False
    assert result.failed_centers == (MX,)


def test_a_center_where_nobody_voted_fails_a_double_majority() -> None:
    result = yes_no(DecisionRule.DOUBLE_MAJORITY, votes(*crowd(US, YES, 5)))
    assert result.failed_centers == (MX,)
    assert result.by_center[MX].participants == 0


@pytest.mark.parametrize("rule", [DecisionRule.DOUBLE_MAJORITY, DecisionRule.DOUBLE_TWO_THIRDS])
@pytest.mark.parametrize("mexico", ["everyone abstains", "nobody votes"])
def test_a_double_rule_fails_where_a_center_cast_no_votes(rule: DecisionRule, mexico: str) -> None:
    abstaining = crowd(MX, ABSTAIN, 3) if mexico == "everyone abstains" else []
    result = yes_no(rule, votes(*crowd(US, YES, 6), *abstaining))
    assert result.by_center[MX].votes_cast == 0
    assert result.threshold_met  # overall, 6 to 0
    assert result.quorum_met
    assert result.failed_centers == (MX,)
    assert result.passed is False


def test_double_majority_with_a_third_center() -> None:
    ballots = votes(*crowd(US, YES, 2), *crowd(MX, YES, 2), *crowd(QC, NO, 1))
    result = tally(PollKind.YES_NO, DecisionRule.DOUBLE_MAJORITY, ballots, (US, MX, QC))
    assert result.failed_centers == (QC,)
    assert result.passed is False


def test_a_ballot_from_an_unlisted_center_still_gets_its_own_tally() -> None:
    ballots = votes(*crowd(US, YES, 2), *crowd(MX, YES, 2), *crowd(QC, NO, 1))
    result = yes_no(DecisionRule.DOUBLE_MAJORITY, ballots)
    assert list(result.by_center) == [US, MX, QC]
    assert result.failed_centers == (QC,)


def test_double_two_thirds_needs_two_thirds_in_each_center() -> None:
    both = votes(*crowd(US, YES, 2), *crowd(US, NO, 1), *crowd(MX, YES, 4), *crowd(MX, NO, 2))
    assert yes_no(DecisionRule.DOUBLE_TWO_THIRDS, both).passed
    short = votes(*crowd(US, YES, 9), *crowd(MX, YES, 3), *crowd(MX, NO, 2))
    result = yes_no(DecisionRule.DOUBLE_TWO_THIRDS, short)
    assert result.threshold_met  # 12 to 2 overall
    assert result.failed_centers == (MX,)


# --- quorum -----------------------------------------------------------------------------------


def test_without_quorum_a_unanimous_vote_does_not_pass() -> None:
    result = yes_no(DecisionRule.MAJORITY, votes(*crowd(US, YES, 3)), Quorum(overall_min=5))
    assert result.threshold_met
    assert result.quorum_met is False
    assert result.passed is False


def test_abstentions_count_toward_quorum() -> None:
    ballots = votes(*crowd(US, YES, 3), *crowd(MX, ABSTAIN, 2))
    result = yes_no(DecisionRule.MAJORITY, ballots, Quorum(overall_min=5))
    assert result.quorum_met
    assert result.passed


def test_a_poll_of_abstentions_that_meets_its_quorum_is_not_passed_not_short_of_quorum() -> None:
    ballots = votes(*crowd(US, ABSTAIN, 3), *crowd(MX, ABSTAIN, 3))
    for rule in (DecisionRule.MAJORITY, DecisionRule.TWO_THIRDS, DecisionRule.DOUBLE_MAJORITY):
        result = yes_no(rule, ballots, Quorum(overall_min=6, per_center_min=3))
        assert result.quorum_met
        assert result.votes_cast == 0
        assert result.passed is False


def test_the_quorum_counts_the_whole_assembly_and_is_never_split_per_center() -> None:
    # Four ballots in all meet quorum=4, though Mexico sent only one: under a double rule too.
    ballots = votes(*crowd(US, YES, 3), ("beto", MX, YES))
    for rule in (DecisionRule.MAJORITY, DecisionRule.DOUBLE_MAJORITY):
        result = yes_no(rule, ballots, Quorum(overall_min=4))
        assert result.quorum_met
        assert all(t.quorum_met for t in result.by_center.values())
        assert result.passed
    short = yes_no(DecisionRule.DOUBLE_MAJORITY, ballots[:3], Quorum(overall_min=4))
    assert short.quorum_met is False and short.passed is False
    assert short.failed_centers == (MX,)  # no votes cast there; the quorum is not MX's fault


EVERY_RULE = [
    (PollKind.YES_NO, DecisionRule.MAJORITY, YES),
    (PollKind.YES_NO, DecisionRule.TWO_THIRDS, YES),
    (PollKind.YES_NO, DecisionRule.DOUBLE_MAJORITY, YES),
    (PollKind.YES_NO, DecisionRule.DOUBLE_TWO_THIRDS, YES),
    (PollKind.CONSENSUS, DecisionRule.CONSENSUS, AGREE),
    (PollKind.CHOICE, None, "tacos"),
]


@pytest.mark.parametrize(("kind", "rule", "answer"), EVERY_RULE)
def test_a_per_center_quorum_applies_under_every_rule(
    kind: PollKind, rule: DecisionRule | None, answer: str
) -> None:
    ballots = votes(*crowd(US, answer, 5), ("beto", MX, answer))
    answer_ids = ("tacos", "pizza") if kind is PollKind.CHOICE else ()
    result = tally(kind, rule, ballots, CENTERS, Quorum(per_center_min=2), answer_ids=answer_ids)
    assert result.quorum_met is False
    assert result.by_center[MX].quorum_met is False and result.by_center[US].quorum_met
    assert result.failed_centers == (MX,)
    assert result.passed is (None if kind is PollKind.CHOICE else False)
    met = tally(kind, rule, ballots, CENTERS, Quorum(per_center_min=1), answer_ids=answer_ids)
    assert met.quorum_met and met.passed is (None if kind is PollKind.CHOICE else True)


def test_a_multiple_choice_poll_short_of_its_quorum_still_counts_but_decides_nothing() -> None:
    ballots = votes(("ana", US, "tacos"), ("beto", MX, "tacos"))
    result = tally(
        PollKind.CHOICE, None, ballots, CENTERS, Quorum(overall_min=3), answer_ids=OPTIONS
    )
    assert result.quorum_met is False
    assert result.passed is None
    assert result.counts["tacos"] == 2  # the count is reported; the outcome says no quorum


def test_spoiled_ballots_do_not_count_toward_quorum() -> None:
    ballots = [*votes(*crowd(US, YES, 4)), Ballot("dan", US, (), 9, spoiled=True)]
    result = yes_no(DecisionRule.MAJORITY, ballots, Quorum(overall_min=5))
    assert result.quorum_met is False


def test_a_per_center_quorum_applies_even_to_a_plain_majority() -> None:
    ballots = votes(*crowd(US, YES, 6), *crowd(MX, YES, 1))
    result = yes_no(DecisionRule.MAJORITY, ballots, Quorum(overall_min=5, per_center_min=2))
    assert result.total.quorum_met
    assert result.by_center[MX].quorum_met is False
    assert result.quorum_met is False
    assert result.failed_centers == (MX,)
    assert result.passed is False


def test_double_majority_reports_a_center_failing_quorum_and_threshold_once() -> None:
    ballots = votes(*crowd(US, YES, 3), ("beto", MX, NO))
    result = yes_no(DecisionRule.DOUBLE_MAJORITY, ballots, Quorum(per_center_min=2))
    assert result.failed_centers == (MX,)


# --- consensus --------------------------------------------------------------------------------


def consensus(ballots: list[Ballot], blocks_needed: int = 1):
    return tally(
        PollKind.CONSENSUS, DecisionRule.CONSENSUS, ballots, CENTERS, blocks_needed=blocks_needed
    )


def test_consensus_passes_when_everyone_agrees() -> None:
    result = consensus(votes(("ana", US, AGREE), ("beto", MX, AGREE)))
    assert result.passed
    assert result.denominator is Denominator.NOT_APPLICABLE


def test_a_stand_aside_lets_the_decision_through_and_goes_in_the_minutes() -> None:
    result = consensus(
        votes(("ana", US, AGREE), ("carla", MX, STAND_ASIDE, "no me convence el costo"))
    )
    assert result.passed
    assert result.stand_asides == (Dissent("carla", MX, "no me convence el costo"),)
    assert result.blocks == ()


def test_consensus_passes_with_any_number_of_stand_asides_and_one_agree() -> None:
    ballots = votes(
        ("ana", US, AGREE),
        *crowd(US, STAND_ASIDE, 7),
        *crowd(MX, STAND_ASIDE, 9),
    )
    result = consensus(ballots)
    assert result.passed
    assert len(result.stand_asides) == 16
    assert result.counts == {AGREE: 1, STAND_ASIDE: 16, BLOCK: 0}


def test_one_block_stops_the_decision() -> None:
    ballots = votes(*crowd(US, AGREE, 20), ("beto", MX, BLOCK, "contradicts our bylaws"))
    result = consensus(ballots)
    assert result.passed is False
    assert result.blocks == (Dissent("beto", MX, "contradicts our bylaws"),)


def test_a_group_that_needs_two_blocks_proceeds_over_one() -> None:
    one = votes(("ana", US, AGREE), ("beto", MX, BLOCK, "no"))
    assert consensus(one, blocks_needed=2).passed
    two = [*one, *votes(("dan", US, BLOCK, "no"))]
    assert consensus(two, blocks_needed=2).passed is False


def test_a_proposal_nobody_agrees_with_does_not_pass_even_unblocked() -> None:
    assert consensus(votes(("ana", US, STAND_ASIDE), ("beto", MX, STAND_ASIDE))).passed is False
    assert consensus([]).passed is False


def test_a_secret_consensus_poll_drops_the_names_but_keeps_the_reasons() -> None:
    result = consensus(
        votes(
            ("ana", US, AGREE),
            ("lupe", MX, BLOCK, "falta traducción"),
            ("dan", US, STAND_ASIDE, "too rushed"),
        )
    ).anonymized()
    assert result.blocks == (Dissent(None, MX, "falta traducción"),)
    assert result.stand_asides == (Dissent(None, US, "too rushed"),)


def test_blocks_needed_must_be_positive() -> None:
    with pytest.raises(ValueError):
        consensus([], blocks_needed=0)


# --- multiple choice --------------------------------------------------------------------------

OPTIONS = ("tacos", "pizza", "sushi")


def choice(ballots: list[Ballot], answer_ids: tuple[str, ...] = OPTIONS):
    return tally(PollKind.CHOICE, None, ballots, CENTERS, answer_ids=answer_ids)


def test_multiple_choice_reports_the_winner_and_no_pass_or_fail() -> None:
    result = choice(votes(("ana", US, "tacos"), ("beto", MX, "tacos"), ("dan", US, "pizza")))
    assert result.passed is None
    assert result.winners == ("tacos",)
    assert result.counts == {"tacos": 2, "pizza": 1, "sushi": 0}


def test_a_tie_reports_every_tied_option() -> None:
    result = choice(votes(("ana", US, "tacos"), ("beto", MX, "pizza")))
    assert result.winners == ("tacos", "pizza")


def test_every_option_tied_for_first_is_reported_with_no_tie_break() -> None:
    # Sushi led early and has more US votes; neither breaks the tie.
    ballots = votes(
        ("ana", US, "sushi"),
        ("dan", US, "sushi"),
        ("beto", MX, "tacos"),
        ("lupe", MX, "tacos"),
        ("carla", MX, "pizza"),
        ("bob", US, "pizza"),
    )
    result = choice(ballots)
    assert result.winners == OPTIONS  # all three, in the poll's own order
    assert choice(list(reversed(ballots))).winners == OPTIONS
    assert result.passed is None


def test_nobody_voting_means_no_winner() -> None:
    assert choice([]).winners == ()


def test_each_selection_of_a_multi_select_ballot_counts() -> None:
    ballots = [
        Ballot("ana", US, ("tacos", "pizza"), 1),
        Ballot("beto", MX, ("pizza",), 2),
    ]
    result = choice(ballots)
    assert result.counts["pizza"] == 2
    assert result.votes_cast == 2
    assert result.by_center[US].counts == {"tacos": 1, "pizza": 1, "sushi": 0}


def test_an_abstain_option_is_never_the_winner_nor_a_vote_cast() -> None:
    ballots = votes(("ana", US, ABSTAIN), ("beto", MX, ABSTAIN), ("dan", US, "sushi"))
    result = choice(ballots, (*OPTIONS, ABSTAIN))
    assert result.winners == ("sushi",)
    assert result.votes_cast == 1
    assert result.participants == 3


def test_a_rule_that_does_not_fit_the_poll_is_refused() -> None:
    with pytest.raises(ValueError):
        tally(PollKind.CHOICE, DecisionRule.MAJORITY, [], CENTERS)
    with pytest.raises(ValueError):
        tally(PollKind.YES_NO, DecisionRule.CONSENSUS, [], CENTERS)
    with pytest.raises(ValueError):
        tally(PollKind.CONSENSUS, DecisionRule.MAJORITY, [], CENTERS)


# --- both rooms, one decision -----------------------------------------------------------------


def test_the_responses_from_both_rooms_make_one_binational_tally() -> None:
    responses = [
        Response("ana", US, (YES,), 1_000),
        Response("bob", US, (NO,), 1_100),
        Response("dan", US, (YES,), 1_200),
        Response("beto", MX, (YES,), 1_050),
        Response("carla", MX, (NO,), 1_150),
        Response("carla", MX, (YES,), 1_250),  # carla changes her mind in time
        Response("lupe", MX, (NO,), 9_999),  # after the chair closed the poll
    ]
    ballots = effective_ballots(responses, YES_NO_IDS, 1, closed_at=5_000)
    result = tally(PollKind.YES_NO, DecisionRule.DOUBLE_MAJORITY, ballots, CENTERS)
    assert result.counts == {YES: 4, NO: 1, ABSTAIN: 0}
    assert result.by_center[MX].counts == {YES: 2, NO: 0, ABSTAIN: 0}
    assert result.passed


def test_a_result_is_frozen() -> None:
    result = yes_no(DecisionRule.MAJORITY, votes(("ana", US, YES)))
    with pytest.raises(AttributeError):
        result.passed = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.counts[YES] = 99  # type: ignore[index]
    assert replace(result, passed=False).passed is False


# --- properties -------------------------------------------------------------------------------

FAST = settings(max_examples=100, deadline=None)
center = st.sampled_from(CENTERS)
yes_no_ballots = st.lists(st.tuples(center, st.sampled_from(YES_NO_IDS)), max_size=30).map(
    lambda spec: votes(*((f"m{i}", c, a) for i, (c, a) in enumerate(spec)))
)


@FAST
@given(yes_no_ballots)
def test_a_double_majority_is_a_majority_in_each_center_and_overall(ballots: list[Ballot]) -> None:
    result = yes_no(DecisionRule.DOUBLE_MAJORITY, ballots)
    if not result.passed:
        return
    assert yes_no(DecisionRule.MAJORITY, ballots).passed
    for c in CENTERS:
        own = [b for b in ballots if b.center == c]
        assert yes_no(DecisionRule.MAJORITY, own).passed


@FAST
@given(yes_no_ballots)
def test_two_thirds_passing_implies_a_majority(ballots: list[Ballot]) -> None:
    if yes_no(DecisionRule.TWO_THIRDS, ballots).passed:
        assert yes_no(DecisionRule.MAJORITY, ballots).passed


@FAST
@given(yes_no_ballots)
def test_centers_add_up_to_the_total(ballots: list[Ballot]) -> None:
    result = yes_no(DecisionRule.DOUBLE_MAJORITY, ballots)
    for answer in YES_NO_IDS:
        assert sum(t.counts[answer] for t in result.by_center.values()) == result.counts[answer]
    assert sum(t.votes_cast for t in result.by_center.values()) == result.votes_cast
    assert result.votes_cast == result.counts[YES] + result.counts[NO] <= result.participants


@FAST
@given(st.lists(center, max_size=20))
def test_majority_with_only_abstentions_fails(centers: list[str]) -> None:
    ballots = votes(*((f"m{i}", c, ABSTAIN) for i, c in enumerate(centers)))
    for rule in (DecisionRule.MAJORITY, DecisionRule.DOUBLE_MAJORITY, DecisionRule.TWO_THIRDS):
        assert yes_no(rule, ballots).passed is False


@FAST
@given(st.lists(st.tuples(center, st.sampled_from(CONSENSUS_IDS)), max_size=20), center)
def test_consensus_with_a_block_fails(spec: list[tuple[str, str]], blocker_center: str) -> None:
    ballots = votes(
        *((f"m{i}", c, a) for i, (c, a) in enumerate(spec)),
        ("blocker", blocker_center, BLOCK, "principled objection"),
    )
    result = consensus(ballots)
    assert result.passed is False
    assert any(d.voter == "blocker" for d in result.blocks)


@FAST
@given(st.integers(1, 30), st.integers(0, 30), st.integers(0, 30))
def test_consensus_without_a_block_passes_exactly_when_someone_agrees(
    agree: int, aside_us: int, aside_mx: int
) -> None:
    ballots = votes(
        *crowd(MX, AGREE, agree),
        *crowd(US, STAND_ASIDE, aside_us),
        *crowd(MX, STAND_ASIDE, aside_mx),
    )
    assert consensus(ballots).passed
    assert consensus(votes(*crowd(US, STAND_ASIDE, aside_us + 1))).passed is False


responses = st.lists(
    st.builds(
        Response,
        voter=st.sampled_from(["ana", "bob", "beto", "carla"]),
        center=center,
        answers=st.lists(st.sampled_from([*YES_NO_IDS, "maybe"]), max_size=3).map(tuple),
        ts=st.integers(0, 1_000),
    ),
    max_size=15,
    unique_by=lambda r: r.ts,
)
SOME = settings(max_examples=60, deadline=None)


@SOME
@given(responses, st.randoms(use_true_random=False), st.none() | st.integers(0, 1_000))
def test_the_order_responses_arrive_in_does_not_change_the_ballots(
    rs: list[Response], rnd, closed_at: int | None
) -> None:
    shuffled = list(rs)
    rnd.shuffle(shuffled)
    assert effective_ballots(rs, YES_NO_IDS, 2, closed_at) == effective_ballots(
        shuffled, YES_NO_IDS, 2, closed_at
    )


@SOME
@given(responses, st.integers(0, 1_000))
def test_nothing_after_the_close_matters(rs: list[Response], closed_at: int) -> None:
    in_time = [r for r in rs if r.ts <= closed_at]
    ballots = effective_ballots(rs, YES_NO_IDS, 1, closed_at)
    assert ballots == effective_ballots(in_time, YES_NO_IDS, 1, closed_at)
    for ballot in ballots.values():
        assert ballot.spoiled or len(ballot.answers) == 1
