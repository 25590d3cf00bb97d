"""Which msgtype each message of the bot carries, decided by one rule: a notice for the bot's own
chatter (a notice never notifies anyone), a text only where someone must be notified, and a
mirrored copy keeps its original's msgtype."""

from __future__ import annotations

from typing import get_args

import pytest

from bot.domain.messages import Msg
from bot.domain.outcomes import (
    Announce,
    Outcome,
    React,
    Reply,
    announce,
    copy_msgtype,
    msgtype_of,
    refusal,
    reply,
)

LINE = Msg.of("stack.nobody")

# Every kind of outcome, each in every shape it comes in, with the msgtype it gets in a room
# where it pings someone and in a room where it pings nobody.
DECIDED: dict[type, list[tuple[str, Outcome, str | None, str | None]]] = {
    Reply: [
        ("an answer", reply(LINE), "m.notice", "m.notice"),
        ("a refusal", refusal(LINE), "m.notice", "m.notice"),
    ],
    Announce: [
        ("an announcement", announce(LINE), "m.notice", "m.notice"),
        ("the floor given to alice", announce(LINE, mention=("@alice:x",)), "m.text", "m.notice"),
        ("a meeting's reminder", Announce((LINE,), alert=True), "m.text", "m.text"),
    ],
    React: [("an acknowledgement", React("✅"), None, None)],
}


def test_every_kind_of_outcome_has_its_msgtype_decided() -> None:
    assert set(DECIDED) == set(get_args(Outcome))


@pytest.mark.parametrize(
    ("outcome", "where_pinged", "elsewhere"),
    [pytest.param(o, p, e, id=name) for cases in DECIDED.values() for name, o, p, e in cases],
)
def test_a_text_only_where_someone_must_be_notified(
    outcome: Outcome, where_pinged: str | None, elsewhere: str | None
) -> None:
    assert msgtype_of(outcome, pings_here=True) == where_pinged
    assert msgtype_of(outcome, pings_here=False) == elsewhere


@pytest.mark.parametrize(
    ("original", "copy"),
    [
        ("m.text", "m.text"),
        ("m.notice", "m.notice"),
        ("m.emote", "m.emote"),
        ("m.server_notice", "m.text"),
        (None, "m.text"),
        (7, "m.text"),
    ],
)
def test_a_copy_keeps_its_originals_msgtype(original: object, copy: str) -> None:
    assert copy_msgtype(original) == copy
