"""How long a turn at speaking lasted: what `!endmeeting` and the minutes both count.

The floor stays with a person until something closes it (a chair's `!done`, the next `!call`,
the end of the meeting), but they may have stopped long before: counting until the close would
give the silence after their last word to them. So a turn counts what was seen of it:

- the speaker said they were done (`!done`, or lowering their hand while speaking): the turn
  ends then, also past its time limit: they said so;
- otherwise it ends at the first of
  - the moment the floor was closed (for a turn still going: now);
  - the speaker's last message in the meeting's rooms during the turn, plus `GRACE_SECONDS`
    (a message is stamped when it is sent, and is then read out or interpreted);
  - the time limit, if one was set, unless the speaker kept writing past it (then their last
    message and the grace count: the time they took, not the time they were given).

A speaker who wrote nothing, with no time limit (someone speaking aloud on a call), is counted
until the floor was closed: nothing else was seen of their turn. Plain values, no I/O.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from bot.domain.meetings import Turn, TurnEnd

GRACE_SECONDS = 30


class Measure(StrEnum):
    """What ended a turn as it is counted; the minutes say how many turns ended each way."""

    SAID_DONE = "said_done"
    LAST_MESSAGE = "last_message"
    TIME_LIMIT = "time_limit"
    FLOOR_CLOSED = "floor_closed"


# The order the minutes list them in.
MEASURES = tuple(Measure)


class TimedTurn(NamedTuple):
    seconds: float
    measure: Measure


def time_spoken(turn: Turn, until_ms: int) -> TimedTurn:
    """How long `turn` counts, and what ended it; a turn still going is counted at `until_ms`."""
    closed = turn.ended_at if turn.ended_at is not None else until_ms
    if turn.ended_by is TurnEnd.SPEAKER:
        return _timed(turn, closed, Measure.SAID_DONE)
    ends = [(closed, Measure.FLOOR_CLOSED)]
    if turn.last_word_at is not None:
        ends.append((turn.last_word_at + GRACE_SECONDS * 1000, Measure.LAST_MESSAGE))
    if turn.limit_seconds:
        limit = turn.started_at + turn.limit_seconds * 1000
        if turn.last_word_at is None or turn.last_word_at <= limit:
            ends.append((limit, Measure.TIME_LIMIT))
    # On a tie, the close wins: it is what was seen happen.
    end, measure = min(ends, key=lambda found: found[0])
    return _timed(turn, end, measure)


def _timed(turn: Turn, end_ms: int, measure: Measure) -> TimedTurn:
    return TimedTurn(max(0, end_ms - turn.started_at) / 1000, measure)
