"""How long a turn at speaking lasted, as `!endmeeting` and the minutes count it.

Beto is called at 18:00:00. The floor stays his until something closes it; what counts is what was
seen of his turn: his saying he is done, his last message in the rooms (plus a short grace), the
time limit, or, with nothing else seen, the moment the floor was closed.
"""

from __future__ import annotations

from dataclasses import replace

from bot.domain.meetings import Turn, TurnEnd
from bot.domain.minutes import spoken_turns
from bot.domain.speaking_time import GRACE_SECONDS, Measure, time_spoken
from bot.domain.stack import TurnKind

CALLED = 1_741_644_000_000  # 18:00:00
SECOND = 1000
MINUTE = 60 * SECOND


def turn(**changes) -> Turn:
    called = Turn(
        id=1,
        meeting_id=1,
        agenda_item_id=None,
        user_id="@beto:x",
        center="MX",
        kind=TurnKind.ORDINARY,
        started_at=CALLED,
        ended_at=None,
        limit_seconds=None,
        limit_notified=False,
    )
    return replace(called, **changes)


def test_the_grace_after_a_last_message_is_short() -> None:
    assert 0 < GRACE_SECONDS <= 60


def test_a_speaker_who_says_they_are_done_spoke_until_then() -> None:
    done = turn(ended_at=CALLED + 95 * SECOND, ended_by=TurnEnd.SPEAKER, last_word_at=CALLED)
    assert time_spoken(done, CALLED + 60 * MINUTE) == (95, Measure.SAID_DONE)


def test_a_speaker_who_says_they_are_done_past_the_limit_is_counted_past_it() -> None:
    over = turn(limit_seconds=60, ended_at=CALLED + 2 * MINUTE, ended_by=TurnEnd.SPEAKER)
    assert time_spoken(over, CALLED + 60 * MINUTE) == (120, Measure.SAID_DONE)


def test_one_sentence_then_silence_until_the_next_call_counts_the_sentence_and_the_grace() -> None:
    """The demo: one sentence 20 s after the call, nothing for ten minutes, then the next call."""
    quiet = turn(
        last_word_at=CALLED + 20 * SECOND,
        ended_at=CALLED + 10 * MINUTE + 50 * SECOND,
        ended_by=TurnEnd.NEXT_CALL,
    )
    assert time_spoken(quiet, CALLED + 60 * MINUTE) == (20 + GRACE_SECONDS, Measure.LAST_MESSAGE)


def test_the_last_speaker_of_a_meeting_is_not_counted_until_the_meeting_ends() -> None:
    last = turn(
        last_word_at=CALLED + 20 * SECOND,
        ended_at=CALLED + 40 * MINUTE,
        ended_by=TurnEnd.MEETING_END,
    )
    assert time_spoken(last, CALLED + 40 * MINUTE).seconds == 20 + GRACE_SECONDS


def test_a_call_that_comes_within_the_grace_ends_the_turn_there() -> None:
    busy = turn(
        last_word_at=CALLED + 50 * SECOND,
        ended_at=CALLED + 60 * SECOND,
        ended_by=TurnEnd.NEXT_CALL,
    )
    assert time_spoken(busy, CALLED + 60 * MINUTE) == (60, Measure.FLOOR_CLOSED)


def test_a_chair_closing_a_turn_is_a_close_like_the_next_call() -> None:
    """A chair's `!done` does not say when the speaker stopped: their last message does."""
    closed = turn(
        last_word_at=CALLED + 30 * SECOND,
        ended_at=CALLED + 5 * MINUTE,
        ended_by=TurnEnd.CHAIR,
    )
    assert time_spoken(closed, CALLED + 60 * MINUTE) == (30 + GRACE_SECONDS, Measure.LAST_MESSAGE)
    silent = replace(closed, last_word_at=None)
    assert time_spoken(silent, CALLED + 60 * MINUTE) == (300, Measure.FLOOR_CLOSED)


def test_a_silent_turn_with_a_limit_ends_at_the_limit() -> None:
    """Someone speaking aloud on a call writes nothing: the limit is what was set."""
    silent = turn(limit_seconds=120, ended_at=CALLED + 9 * MINUTE, ended_by=TurnEnd.NEXT_CALL)
    assert time_spoken(silent, CALLED + 60 * MINUTE) == (120, Measure.TIME_LIMIT)


def test_a_turn_closed_before_its_limit_ends_when_it_was_closed() -> None:
    short = turn(limit_seconds=120, ended_at=CALLED + 70 * SECOND, ended_by=TurnEnd.NEXT_CALL)
    assert time_spoken(short, CALLED + 60 * MINUTE) == (70, Measure.FLOOR_CLOSED)


def test_with_a_limit_a_last_message_well_before_it_ends_the_turn_earlier() -> None:
    early = turn(
        limit_seconds=180,
        last_word_at=CALLED + 10 * SECOND,
        ended_at=CALLED + 9 * MINUTE,
        ended_by=TurnEnd.NEXT_CALL,
    )
    assert time_spoken(early, CALLED + 60 * MINUTE) == (10 + GRACE_SECONDS, Measure.LAST_MESSAGE)


def test_a_last_message_just_before_the_limit_ends_the_turn_at_the_limit() -> None:
    near = turn(
        limit_seconds=120,
        last_word_at=CALLED + 110 * SECOND,
        ended_at=CALLED + 9 * MINUTE,
        ended_by=TurnEnd.NEXT_CALL,
    )
    assert time_spoken(near, CALLED + 60 * MINUTE) == (120, Measure.TIME_LIMIT)


def test_a_speaker_who_keeps_writing_past_the_limit_is_counted_to_their_last_message() -> None:
    over = turn(
        limit_seconds=120,
        last_word_at=CALLED + 200 * SECOND,
        ended_at=CALLED + 9 * MINUTE,
        ended_by=TurnEnd.NEXT_CALL,
    )
    assert time_spoken(over, CALLED + 60 * MINUTE) == (200 + GRACE_SECONDS, Measure.LAST_MESSAGE)


def test_a_silent_turn_without_a_limit_lasts_until_the_floor_is_closed() -> None:
    """Nothing else was seen: the floor was theirs until the next call."""
    aloud = turn(ended_at=CALLED + 4 * MINUTE, ended_by=TurnEnd.NEXT_CALL)
    assert time_spoken(aloud, CALLED + 60 * MINUTE) == (240, Measure.FLOOR_CLOSED)


def test_a_turn_still_going_counts_until_now_by_the_same_rules() -> None:
    going = turn(last_word_at=CALLED + 15 * SECOND)
    assert time_spoken(going, CALLED + 10 * SECOND).seconds == 10
    assert time_spoken(going, CALLED + 10 * MINUTE).seconds == 15 + GRACE_SECONDS
    assert time_spoken(turn(), CALLED + 3 * MINUTE) == (180, Measure.FLOOR_CLOSED)


def test_a_turn_recorded_before_ends_were_kept_counts_until_it_was_closed() -> None:
    older = turn(ended_at=CALLED + 3 * MINUTE)
    assert time_spoken(older, CALLED + 60 * MINUTE) == (180, Measure.FLOOR_CLOSED)


def test_the_minutes_and_the_closing_announcement_take_each_turn_as_timed() -> None:
    turns = [
        turn(ended_at=CALLED + 95 * SECOND, ended_by=TurnEnd.SPEAKER),
        turn(
            id=2,
            user_id="@alice:x",
            center="US",
            started_at=CALLED + 2 * MINUTE,
            last_word_at=CALLED + 2 * MINUTE + 20 * SECOND,
            ended_at=CALLED + 40 * MINUTE,
            ended_by=TurnEnd.MEETING_END,
        ),
    ]
    spoken = spoken_turns(turns, CALLED + 40 * MINUTE)
    assert [(s.user_id, s.seconds, s.measure) for s in spoken] == [
        ("@beto:x", 95, Measure.SAID_DONE),
        ("@alice:x", 20 + GRACE_SECONDS, Measure.LAST_MESSAGE),
    ]
