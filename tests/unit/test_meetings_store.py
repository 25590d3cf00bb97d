"""What the database keeps about meetings, and what it refuses."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.meetings import Turn, speaking_record
from bot.domain.stack import SpeakerStack, StackPolicy, TurnKind
from bot.storage.database import Database
from bot.storage.meetings_store import MeetingsStore


@pytest.fixture
async def store() -> AsyncIterator[MeetingsStore]:
    db = await Database.open(":memory:")
    try:
        yield MeetingsStore(db)
    finally:
        await db.close()


async def open_meeting(store: MeetingsStore, assembly: str = "A") -> int:
    meeting = await store.create_meeting(
        assembly=assembly,
        title="Monthly",
        title_language="en",
        started_by="@carol:test",
        started_at=1,
        stack_policy=StackPolicy.ALTERNATE,
        turn_limit_seconds=None,
    )
    return meeting.id


async def test_an_assembly_never_has_two_open_meetings(store: MeetingsStore) -> None:
    first = await open_meeting(store)
    with pytest.raises(sqlite3.IntegrityError):
        await open_meeting(store)
    await open_meeting(store, assembly="B")
    await store.end_meeting(first, 2)
    await open_meeting(store)
    assert [m.assembly for m in await store.open_meetings()] == ["B", "A"]


async def test_a_timebox_notice_is_claimed_once_and_only_while_the_item_is_current(
    store: MeetingsStore,
) -> None:
    meeting = await open_meeting(store)
    item = await store.add_item(
        meeting, title="Budget", language="en", timebox_seconds=60, owner=None, added_by="@c:t"
    )
    assert not await store.claim_timebox_notice(item.id)  # not started yet
    await store.start_item(item.id, 10)
    assert await store.claim_timebox_notice(item.id)
    assert not await store.claim_timebox_notice(item.id)


async def test_hands_keep_their_place_and_the_next_number(store: MeetingsStore) -> None:
    meeting = await open_meeting(store)
    stack = SpeakerStack(StackPolicy.FIFO)
    for user, center in (("@ana:t", "US"), ("@beto:t", "MX")):
        await store.add_hand(meeting, stack.raise_hand(user, center), 5)
    stored = await store.meeting(meeting)
    assert stored is not None and stored.next_hand_seq == 3
    assert await store.hands(meeting) == stack.waiting()


PEOPLE = [("ana", "US"), ("bob", "US"), ("beto", "MX"), ("lupe", "MX")]
ACTIONS = st.lists(
    st.tuples(st.sampled_from(PEOPLE), st.sampled_from(list(TurnKind)), st.booleans()),
    max_size=30,
)


@settings(max_examples=100, deadline=None)
@given(policy=st.sampled_from(list(StackPolicy)), actions=ACTIONS)
def test_replaying_the_stored_turns_gives_the_live_speaking_record(
    policy: StackPolicy, actions: list[tuple[tuple[str, str], TurnKind, bool]]
) -> None:
    """What a restart rebuilds from the turns table is what the running stack knew."""
    stack = SpeakerStack(policy)
    turns: list[Turn] = []
    for (user, center), kind, call in actions:
        stack.raise_hand(user, center, kind)
        if call and (hand := stack.call_next()) is not None:
            turns.append(
                Turn(
                    len(turns) + 1,
                    1,
                    None,
                    hand.user_id,
                    hand.center,
                    hand.kind,
                    0,
                    None,
                    None,
                    False,
                )
            )
    assert speaking_record(turns) == stack.record
