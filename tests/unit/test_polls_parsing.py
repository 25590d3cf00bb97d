"""What people type to start a poll and to vote, read the way a facilitator would read it."""

from __future__ import annotations

import pytest

from bot.domain.poll_input import (
    parse_poll_number,
    read_ballot,
    read_poll_request,
    split_poll_number,
)
from bot.domain.polls import BallotChoice, Poll, PollRequest
from bot.domain.tally import ABSTAIN, AGREE, BLOCK, NO, STAND_ASIDE, YES, DecisionRule, PollKind
from bot.framework.errors import CommandError, UsageError
from bot.framework.parsing import split_words
from bot.services.polls import SPOILED, answers_of

MAJORITY = DecisionRule.MAJORITY


def request(text: str, default: DecisionRule = MAJORITY) -> PollRequest:
    return read_poll_request(split_words(text), default)


def error_key(text: str, default: DecisionRule = MAJORITY) -> str:
    with pytest.raises(CommandError) as caught:
        request(text, default)
    return caught.value.message.key


def a_poll(kind: PollKind, options: tuple[str, ...] = (), max_selections: int = 1) -> Poll:
    return Poll(
        id=7,
        assembly="a",
        meeting_id=None,
        kind=kind,
        rule=None if kind is PollKind.CHOICE else MAJORITY,
        question="?",
        language="en",
        options=options,
        max_selections=max_selections,
        secret=False,
        ballot_key=None,
        quorum=None,
        deadline_at=None,
        created_by="@carol:x",
        created_in="!en",
        created_at=0,
        source_event_id="$poll",
        closed_at=None,
        closed_by=None,
    )


# -- !poll ----------------------------------------------------------------------------------------


def test_a_quoted_question_alone_is_a_yes_no_poll_under_the_assembly_rule() -> None:
    poll = request('"Do we approve the budget?"', DecisionRule.TWO_THIRDS)
    assert poll == PollRequest(
        PollKind.YES_NO, DecisionRule.TWO_THIRDS, "Do we approve the budget?"
    )


def test_an_unquoted_question_is_still_one_question() -> None:
    poll = request("Do we approve the budget?")
    assert (poll.kind, poll.question, poll.options) == (
        PollKind.YES_NO,
        "Do we approve the budget?",
        (),
    )


def test_options_make_a_multiple_choice_poll() -> None:
    poll = request('choice max=2 "Which days?" "Monday" "Tuesday evening" "Friday"')
    assert poll.kind is PollKind.CHOICE and poll.rule is None
    assert poll.options == ("Monday", "Tuesday evening", "Friday")
    assert poll.max_selections == 2
    assert request('"Lunch?" Pizza Tacos').kind is PollKind.CHOICE


def test_consensus_in_english_and_spanish() -> None:
    for text in ('consensus "We adopt the charter"', 'CONSENSO "Adoptamos la carta"'):
        poll = request(text)
        assert (poll.kind, poll.rule) == (PollKind.CONSENSUS, DecisionRule.CONSENSUS)


def test_an_assembly_that_decides_by_consensus_gets_consensus_polls_by_default() -> None:
    assert request('"We adopt the charter"', DecisionRule.CONSENSUS).kind is PollKind.CONSENSUS
    assert request('mayoria "¿Compramos?"', DecisionRule.CONSENSUS).rule is MAJORITY


def test_double_majority_and_double_two_thirds_with_quorums_and_a_deadline() -> None:
    poll = request('doble secreta quorum=10 quorum_centro=3 plazo=30m "¿Nos afiliamos?"')
    assert poll.rule is DecisionRule.DOUBLE_MAJORITY
    assert poll.secret
    assert (poll.quorum.overall_min, poll.quorum.per_center_min) == (10, 3)
    assert poll.deadline_seconds == 1800
    assert request('double twothirds "Q?"').rule is DecisionRule.DOUBLE_TWO_THIRDS
    assert request('"Q?"', DecisionRule.DOUBLE_TWO_THIRDS).rule is DecisionRule.DOUBLE_TWO_THIRDS
    assert request('double "Q?"', DecisionRule.TWO_THIRDS).rule is DecisionRule.DOUBLE_TWO_THIRDS


def test_a_question_with_an_equals_sign_is_not_a_setting() -> None:
    assert request('"Is 1+1=2?"').question == "Is 1+1=2?"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "poll.error.no_question"),
        ("secret", "poll.error.no_question"),
        ('quorom=3 "Q?"', "poll.error.bad_setting"),
        ('consensus "Q" "A" "B"', "poll.error.options_not_allowed"),
        ('choice "Q?"', "poll.error.too_few_options"),
        ('"Lunch" "Pizza"', "poll.error.too_few_options"),
        ('"Lunch" "Pizza" "pizza"', "poll.error.duplicate_option"),
        ('double "Lunch" "Pizza" "Tacos"', "poll.error.choice_has_no_rule"),
        ('consensus twothirds "Q"', "poll.error.consensus_rule_fixed"),
        ('max=2 "Q?"', "poll.error.max_without_choice"),
        ('max=4 "Lunch" "Pizza" "Tacos"', "poll.error.bad_number"),
        ('quorum=zero "Q?"', "poll.error.bad_number"),
        ('choice consensus "Q"', "poll.error.conflicting"),
        ('"' + "x" * 600 + '"', "poll.error.question_too_long"),
        ('"Q" ' + " ".join(f'"{n}"' for n in range(21)), "poll.error.too_many_options"),
    ],
)
def test_bad_poll_definitions_are_refused_with_a_reason(text: str, key: str) -> None:
    assert error_key(text) == key


def test_a_bad_deadline_shows_the_usage() -> None:
    with pytest.raises(UsageError):
        request('deadline=soon "Q?"')


# -- !vote ----------------------------------------------------------------------------------------


def test_yes_no_answers_by_number_and_by_word_in_both_languages() -> None:
    poll = a_poll(PollKind.YES_NO)
    assert read_ballot(poll, ["1"]) == BallotChoice((YES,))
    assert read_ballot(poll, ["Sí"]) == BallotChoice((YES,))
    assert read_ballot(poll, ["no"]) == BallotChoice((NO,))
    assert read_ballot(poll, ["abstención"]) == BallotChoice((ABSTAIN,))
    assert read_ballot(poll, ["withdraw"]) == BallotChoice(())


def test_a_consensus_vote_carries_its_reason() -> None:
    poll = a_poll(PollKind.CONSENSUS)
    assert read_ballot(poll, ["bloquear", "no hay presupuesto"]) == BallotChoice(
        (BLOCK,), "no hay presupuesto"
    )
    assert read_ballot(poll, ["2"]) == BallotChoice((STAND_ASIDE,))
    assert read_ballot(poll, ["agree"]) == BallotChoice((AGREE,))


def test_several_choices_up_to_the_maximum() -> None:
    poll = a_poll(PollKind.CHOICE, ("Monday", "Tuesday evening", "Friday"), max_selections=2)
    assert read_ballot(poll, ["1", "3"]) == BallotChoice(("1", "3"))
    assert read_ballot(poll, ["1,3"]) == BallotChoice(("1", "3"))
    assert read_ballot(poll, ["tuesday evening"]) == BallotChoice(("2",))
    with pytest.raises(CommandError) as caught:
        read_ballot(poll, ["1", "2", "3"])
    assert caught.value.message.key == "poll.error.too_many_answers"


@pytest.mark.parametrize(
    ("kind", "words", "key"),
    [
        (PollKind.YES_NO, ["4"], "poll.error.bad_answer"),
        (PollKind.YES_NO, ["maybe"], "poll.error.bad_answer"),
        (PollKind.YES_NO, ["yes", "because"], "poll.error.one_answer"),
        (PollKind.CHOICE, ["0"], "poll.error.bad_answer"),
    ],
)
def test_bad_votes_are_refused(kind: PollKind, words: list[str], key: str) -> None:
    poll = a_poll(kind, ("A", "B"))
    with pytest.raises(CommandError) as caught:
        read_ballot(poll, words)
    assert caught.value.message.key == key


def test_poll_numbers() -> None:
    assert parse_poll_number("#3") == 3
    assert split_poll_number(["#3", "yes"]) == (3, ["yes"])
    assert split_poll_number(["yes"]) == (None, ["yes"])
    assert parse_poll_number("12") == 12
    with pytest.raises(CommandError):
        parse_poll_number("#x")


# -- native responses ---------------------------------------------------------------------------


def test_native_responses_in_both_the_unstable_and_the_stable_form() -> None:
    assert answers_of({"org.matrix.msc3381.poll.response": {"answers": ["yes"]}}) == ("yes",)
    assert answers_of({"m.selections": ["1", "2"]}) == ("1", "2")
    assert answers_of({"org.matrix.msc3381.poll.response": {"answers": []}}) == ()


@pytest.mark.parametrize(
    "content",
    [
        {},
        {"org.matrix.msc3381.poll.response": "yes"},
        {"org.matrix.msc3381.poll.response": {"answers": "yes"}},
        {"org.matrix.msc3381.poll.response": {"answers": [1]}},
        {"org.matrix.msc3381.poll.response": {"answers": [None, "yes"]}},
        {"m.selections": ["x" * 1000]},
        {"m.selections": ["1"] * 1000},
    ],
)
def test_hostile_responses_are_spoiled_not_crashes(content: dict) -> None:
    assert answers_of(content) == (SPOILED,)
