"""The speaker stack, told as meetings: who raised a hand, who got the floor next."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.stack import (
    Hand,
    SpeakerStack,
    SpeakingRecord,
    StackPolicy,
    TurnKind,
    next_speaker,
    order_stack,
)

US, MX, QC = "US", "MX", "QC"
ORDINARY = TurnKind.ORDINARY
DIRECT = TurnKind.DIRECT_RESPONSE
PROCESS = TurnKind.POINT_OF_PROCESS


def names(hands: list[Hand]) -> list[str]:
    return [hand.user_id for hand in hands]


def stack_with(policy: StackPolicy, *people: tuple[str, str]) -> SpeakerStack:
    """A stack where each (name, center) raised an ordinary hand, in the order given."""
    stack = SpeakerStack(policy)
    for user_id, center in people:
        stack.raise_hand(user_id, center)
    return stack


def call_all(stack: SpeakerStack) -> list[str]:
    called = []
    while (hand := stack.call_next()) is not None:
        called.append(hand.user_id)
    return called


# --- raising and lowering ---------------------------------------------------------------------


def test_an_empty_stack_has_nobody_to_call() -> None:
    stack = SpeakerStack()
    assert stack.waiting() == []
    assert stack.next_speaker() is None
    assert stack.call_next() is None
    assert len(stack) == 0


def test_raising_a_hand_twice_keeps_the_first_place() -> None:
    stack = SpeakerStack(StackPolicy.FIFO)
    first = stack.raise_hand("ana", US)
    stack.raise_hand("beto", MX)
    again = stack.raise_hand("ana", US)
    assert again is first
    assert names(stack.waiting()) == ["ana", "beto"]


def test_a_person_may_hold_an_ordinary_hand_and_a_direct_response() -> None:
    stack = SpeakerStack(StackPolicy.FIFO)
    stack.raise_hand("ana", US)
    stack.raise_hand("beto", MX)
    stack.raise_hand("ana", US, DIRECT)
    assert [(h.user_id, h.kind) for h in stack.waiting()] == [
        ("ana", DIRECT),
        ("ana", ORDINARY),
        ("beto", ORDINARY),
    ]


def test_beto_lowers_only_his_direct_response() -> None:
    stack = SpeakerStack(StackPolicy.FIFO)
    stack.raise_hand("beto", MX)
    stack.raise_hand("beto", MX, DIRECT)
    lowered = stack.lower_hand("beto", DIRECT)
    assert [h.kind for h in lowered] == [DIRECT]
    assert [(h.user_id, h.kind) for h in stack.waiting()] == [("beto", ORDINARY)]


def test_lowering_without_a_kind_lowers_all_of_that_persons_hands() -> None:
    stack = SpeakerStack(StackPolicy.FIFO)
    stack.raise_hand("beto", MX)
    stack.raise_hand("beto", MX, PROCESS)
    stack.raise_hand("ana", US)
    assert len(stack.lower_hand("beto")) == 2
    assert names(stack.waiting()) == ["ana"]
    assert stack.lower_hand("beto") == []


def test_the_chair_removes_someone_who_left_and_their_turns_still_count() -> None:
    stack = stack_with(StackPolicy.PROGRESSIVE, ("ana", US))
    stack.call_next()
    stack.raise_hand("ana", US)
    stack.raise_hand("ana", US, DIRECT)
    stack.remove("ana")
    assert not stack.is_waiting("ana")
    assert stack.record.turns_of("ana") == 1


def test_clearing_the_stack_keeps_who_has_spoken() -> None:
    stack = stack_with(StackPolicy.FIFO, ("ana", US), ("beto", MX))
    stack.call_next()
    cleared = stack.clear()
    assert names(cleared) == ["beto"]
    assert stack.waiting() == []
    assert stack.record.turns_of("ana") == 1


# --- jumping the stack ------------------------------------------------------------------------


def test_a_point_of_process_is_heard_first_then_direct_responses_then_the_stack() -> None:
    stack = SpeakerStack(StackPolicy.FIFO)
    stack.raise_hand("ana", US)
    stack.raise_hand("beto", MX, DIRECT)
    stack.raise_hand("carla", MX, PROCESS)
    stack.raise_hand("dan", US, DIRECT)
    stack.raise_hand("lupe", MX, PROCESS)
    assert names(stack.waiting()) == ["carla", "lupe", "beto", "dan", "ana"]


def test_direct_responses_jump_even_a_progressive_stack() -> None:
    stack = stack_with(StackPolicy.PROGRESSIVE, ("ana", US))
    stack.call_next()
    stack.raise_hand("beto", MX)
    stack.raise_hand("ana", US, DIRECT)
    assert names(stack.waiting()) == ["ana", "beto"]


def test_a_point_of_process_does_not_use_up_a_turn_but_a_direct_response_does() -> None:
    stack = SpeakerStack(StackPolicy.PROGRESSIVE)
    stack.raise_hand("ana", US, PROCESS)
    stack.raise_hand("beto", MX, DIRECT)
    stack.call_next()
    stack.call_next()
    assert stack.record.turns_of("ana") == 0
    assert stack.record.turns_of("beto") == 1
    assert stack.record.last_center is None  # only ordinary turns move the alternation


# --- fifo and progressive ---------------------------------------------------------------------


def test_fifo_calls_people_in_the_order_they_raised_their_hands() -> None:
    stack = stack_with(StackPolicy.FIFO, ("ana", US), ("bob", US), ("beto", MX))
    assert call_all(stack) == ["ana", "bob", "beto"]


def test_progressive_nobody_speaks_twice_while_someone_waits_for_a_first_turn() -> None:
    stack = stack_with(StackPolicy.PROGRESSIVE, ("ana", US))
    stack.call_next()
    stack.raise_hand("ana", US)  # ana wants to speak again at once
    stack.raise_hand("beto", MX)  # beto raised after her, but has not spoken
    assert names(stack.waiting()) == ["beto", "ana"]


def test_progressive_fewer_turns_first_then_time_of_raising() -> None:
    record = SpeakingRecord({"ana": 2, "bob": 1})
    hands = [
        Hand("ana", US, ORDINARY, 1),
        Hand("bob", US, ORDINARY, 2),
        Hand("beto", MX, ORDINARY, 3),
        Hand("carla", MX, ORDINARY, 4),
    ]
    assert names(order_stack(hands, StackPolicy.PROGRESSIVE, record)) == [
        "beto",
        "carla",
        "bob",
        "ana",
    ]


def test_progressive_display_counts_a_direct_response_called_earlier() -> None:
    # carla will speak in direct response first; after that she has a turn, so her ordinary
    # hand goes behind dan, who has none, although she raised it earlier.
    stack = SpeakerStack(StackPolicy.PROGRESSIVE)
    stack.raise_hand("carla", MX)
    stack.raise_hand("dan", US)
    stack.raise_hand("carla", MX, DIRECT)
    assert [(h.user_id, h.kind) for h in stack.waiting()] == [
        ("carla", DIRECT),
        ("dan", ORDINARY),
        ("carla", ORDINARY),
    ]


# --- alternating between centers --------------------------------------------------------------


def test_alternate_takes_turns_between_the_centers_while_both_have_people_waiting() -> None:
    stack = stack_with(
        StackPolicy.ALTERNATE,
        ("ana", US),
        ("bob", US),
        ("dan", US),
        ("beto", MX),
        ("carla", MX),
    )
    assert names(stack.waiting()) == ["ana", "beto", "bob", "carla", "dan"]
    assert call_all(stack) == ["ana", "beto", "bob", "carla", "dan"]


def test_alternate_starts_with_the_other_center_than_the_last_speaker() -> None:
    stack = SpeakerStack.from_state(
        [Hand("ana", US, ORDINARY, 1), Hand("beto", MX, ORDINARY, 2)],
        SpeakingRecord({"sam": 1}, last_center=US),
        StackPolicy.ALTERNATE,
        next_seq=3,
    )
    assert names(stack.waiting()) == ["beto", "ana"]


def test_alternate_is_progressive_within_a_center() -> None:
    stack = SpeakerStack.from_state(
        [
            Hand("ana", US, ORDINARY, 1),
            Hand("bob", US, ORDINARY, 2),
            Hand("beto", MX, ORDINARY, 3),
        ],
        SpeakingRecord({"ana": 1}, last_center=MX),
        StackPolicy.ALTERNATE,
        next_seq=4,
    )
    assert names(stack.waiting()) == ["bob", "beto", "ana"]


def test_alternate_lets_one_center_continue_when_the_other_has_nobody_waiting() -> None:
    stack = stack_with(StackPolicy.ALTERNATE, ("ana", US), ("bob", US))
    assert call_all(stack) == ["ana", "bob"]


def test_alternate_a_newcomer_from_the_quiet_center_goes_next() -> None:
    stack = stack_with(StackPolicy.ALTERNATE, ("ana", US), ("bob", US), ("dan", US))
    assert stack.call_next().user_id == "ana"
    stack.raise_hand("beto", MX)
    assert names(stack.waiting()) == ["beto", "bob", "dan"]


def test_alternate_with_a_third_center_the_least_recently_heard_center_goes_next() -> None:
    # Order of the last turns: MX long ago, then QC, then US just now.
    record = SpeakingRecord({}, last_center=US, heard_at_by_center={MX: 1, QC: 2, US: 3})
    hands = [
        Hand("ana", US, ORDINARY, 1),
        Hand("elodie", QC, ORDINARY, 2),
        Hand("beto", MX, ORDINARY, 3),
        Hand("bob", US, ORDINARY, 4),
        Hand("lupe", MX, ORDINARY, 5),
    ]
    assert names(order_stack(hands, StackPolicy.ALTERNATE, record)) == [
        "beto",
        "elodie",
        "ana",
        "lupe",
        "bob",
    ]


def test_alternate_three_centers_at_the_start_of_a_meeting() -> None:
    stack = stack_with(
        StackPolicy.ALTERNATE,
        ("ana", US),
        ("bob", US),
        ("beto", MX),
        ("elodie", QC),
        ("lupe", MX),
    )
    assert call_all(stack) == ["ana", "beto", "elodie", "bob", "lupe"]


def test_the_chair_switches_policy_mid_meeting() -> None:
    stack = stack_with(StackPolicy.FIFO, ("ana", US), ("bob", US), ("beto", MX))
    assert names(stack.waiting()) == ["ana", "bob", "beto"]
    stack.policy = StackPolicy.ALTERNATE
    assert names(stack.waiting()) == ["ana", "beto", "bob"]


# --- chair overrides --------------------------------------------------------------------------


def test_the_chair_moves_lupe_to_the_front_behind_only_points_of_process() -> None:
    stack = stack_with(StackPolicy.FIFO, ("ana", US), ("bob", US), ("lupe", MX))
    stack.raise_hand("dan", US, DIRECT)
    stack.raise_hand("beto", MX, PROCESS)
    moved = stack.move_to_front("lupe")
    assert moved is not None and moved.priority > 0
    assert names(stack.waiting()) == ["beto", "lupe", "dan", "ana", "bob"]


def test_the_chair_moves_two_people_forward_and_the_latest_goes_first() -> None:
    stack = stack_with(StackPolicy.FIFO, ("ana", US), ("bob", US), ("lupe", MX))
    stack.move_to_front("bob")
    stack.move_to_front("lupe")
    assert call_all(stack) == ["lupe", "bob", "ana"]


def test_moving_someone_who_is_not_waiting_does_nothing() -> None:
    stack = stack_with(StackPolicy.FIFO, ("ana", US))
    assert stack.move_to_front("beto") is None
    assert names(stack.waiting()) == ["ana"]


def test_the_chair_demotes_a_direct_response_that_is_not_one() -> None:
    stack = stack_with(StackPolicy.FIFO, ("ana", US))
    stack.raise_hand("beto", MX, DIRECT)
    demoted = stack.demote("beto")
    assert demoted is not None and demoted.kind is ORDINARY
    assert names(stack.waiting()) == ["ana", "beto"]  # keeps the time he raised it


def test_demoting_a_direct_response_of_someone_already_on_the_stack_drops_it() -> None:
    stack = stack_with(StackPolicy.FIFO, ("beto", MX), ("ana", US))
    stack.raise_hand("beto", MX, DIRECT)
    kept = stack.demote("beto")
    assert kept is not None and kept.raised_seq == 1
    assert [(h.user_id, h.kind) for h in stack.waiting()] == [
        ("beto", ORDINARY),
        ("ana", ORDINARY),
    ]
    assert stack.demote("beto") is None


# --- rebuilding from storage ------------------------------------------------------------------


def test_rebuilding_from_stored_rows_gives_the_same_stack() -> None:
    stack = stack_with(StackPolicy.ALTERNATE, ("ana", US), ("bob", US), ("beto", MX))
    stack.raise_hand("carla", MX, DIRECT)
    stack.call_next()
    stack.call_next()
    copy = SpeakerStack.from_state(
        stack.waiting(), stack.record, stack.policy, next_seq=stack.next_seq
    )
    assert copy.waiting() == stack.waiting()
    assert copy.raise_hand("dan", US).raised_seq == stack.raise_hand("dan", US).raised_seq


def test_rebuilding_never_reuses_a_raised_seq() -> None:
    copy = SpeakerStack.from_state(
        [Hand("ana", US, ORDINARY, 7)], SpeakingRecord(), StackPolicy.FIFO, next_seq=1
    )
    assert copy.raise_hand("beto", MX).raised_seq == 8


def test_rebuilding_refuses_two_hands_of_the_same_kind() -> None:
    with pytest.raises(ValueError):
        SpeakerStack.from_state(
            [Hand("ana", US, ORDINARY, 1), Hand("ana", US, ORDINARY, 2)],
            SpeakingRecord(),
            StackPolicy.FIFO,
            next_seq=3,
        )


def test_the_functions_agree_with_the_class() -> None:
    record = SpeakingRecord({"ana": 1}, last_center=US)
    hands = [Hand("ana", US, ORDINARY, 1), Hand("beto", MX, ORDINARY, 2)]
    assert next_speaker(hands, StackPolicy.ALTERNATE, record) == hands[1]
    assert next_speaker([], StackPolicy.ALTERNATE, record) is None


def test_a_speaking_record_is_not_changed_by_simulating_turns() -> None:
    record = SpeakingRecord({"ana": 1}, last_center=US)
    later = record.after(Hand("beto", MX, ORDINARY, 2))
    assert dict(record.turns_by_user) == {"ana": 1}
    assert record.last_center == US
    assert later.turns_of("beto") == 1 and later.last_center == MX


# --- properties -------------------------------------------------------------------------------

PEOPLE = [
    ("ana", US),
    ("bob", US),
    ("dan", US),
    ("beto", MX),
    ("carla", MX),
    ("lupe", MX),
    ("elodie", QC),
]
person = st.sampled_from(PEOPLE)
kind = st.sampled_from(list(TurnKind))
raise_op = st.tuples(st.just("raise"), person, kind)
next_op = st.tuples(st.just("next"))
plain_ops = st.lists(
    st.one_of(
        raise_op,
        raise_op,
        next_op,
        st.tuples(st.just("lower"), person, st.none() | kind),
        st.tuples(st.just("remove"), person),
    ),
    max_size=40,
)
chair_ops = st.lists(
    st.one_of(
        raise_op,
        next_op,
        st.tuples(st.just("lower"), person, st.none() | kind),
        st.tuples(st.just("remove"), person),
        st.tuples(st.just("front"), person),
        st.tuples(st.just("demote"), person),
        st.tuples(st.just("policy"), st.sampled_from(list(StackPolicy))),
    ),
    max_size=40,
)
FAST = settings(max_examples=150, deadline=None)


def apply(stack: SpeakerStack, op: tuple) -> Hand | None:
    """Run one operation; returns the hand called by "next"."""
    match op:
        case ("raise", (user_id, center), k):
            stack.raise_hand(user_id, center, k)
        case ("lower", (user_id, _), k):
            stack.lower_hand(user_id, k)
        case ("remove", (user_id, _)):
            stack.remove(user_id)
        case ("front", (user_id, _)):
            stack.move_to_front(user_id)
        case ("demote", (user_id, _)):
            stack.demote(user_id)
        case ("policy", policy):
            stack.policy = policy
        case ("next",):
            return stack.call_next()
    return None


@FAST
@given(st.sampled_from(list(StackPolicy)), chair_ops)
def test_nobody_is_lost_or_duplicated_and_the_display_is_the_call_order(
    policy: StackPolicy, ops: list[tuple]
) -> None:
    stack = SpeakerStack(policy)
    expected: set[tuple[str, TurnKind]] = set()
    turns: dict[str, int] = {}
    for op in ops:
        shown = stack.waiting()
        called = apply(stack, op)
        match op:
            case ("raise", (user_id, _), k):
                expected.add((user_id, k))
            case ("lower", (user_id, _), None) | ("remove", (user_id, _)):
                expected = {(u, k) for u, k in expected if u != user_id}
            case ("lower", (user_id, _), k):
                expected.discard((user_id, k))
            case ("demote", (user_id, _)) if (user_id, DIRECT) in expected:
                expected = (expected - {(user_id, DIRECT)}) | {(user_id, ORDINARY)}
            case ("next",) if shown:
                assert called == shown[0]
                expected.remove((called.user_id, called.kind))
                if called.kind is not PROCESS:
                    turns[called.user_id] = turns.get(called.user_id, 0) + 1
        waiting = [(h.user_id, h.kind) for h in stack.waiting()]
        assert len(waiting) == len(set(waiting)) == len(stack)
        assert set(waiting) == expected
        assert dict(stack.record.turns_by_user) == turns

    # What the stack shows is exactly the order in which people would be called.
    shown = stack.waiting()
    replay = SpeakerStack.from_state(shown, stack.record, stack.policy, stack.next_seq)
    assert [replay.call_next() for _ in shown] == shown


@FAST
@given(plain_ops)
def test_progressive_never_calls_someone_with_more_turns_before_someone_with_fewer(
    ops: list[tuple],
) -> None:
    stack = SpeakerStack(StackPolicy.PROGRESSIVE)
    for op in ops:
        before = stack.waiting()
        turns = stack.record.turns_of
        called = apply(stack, op)
        if called is None or called.kind is not ORDINARY:
            continue
        assert all(h.kind is ORDINARY for h in before)  # jumpers were heard first
        assert all(turns(called.user_id) <= turns(h.user_id) for h in before)


@FAST
@given(plain_ops)
def test_alternate_never_gives_one_center_two_turns_in_a_row_while_another_waits(
    ops: list[tuple],
) -> None:
    stack = SpeakerStack(StackPolicy.ALTERNATE)
    last_center: str | None = None
    for op in ops:
        waiting_centers = {h.center for h in stack.waiting() if h.kind is ORDINARY}
        called = apply(stack, op)
        if called is None or called.kind is not ORDINARY:
            continue
        if called.center == last_center:
            assert waiting_centers == {last_center}
        last_center = called.center
