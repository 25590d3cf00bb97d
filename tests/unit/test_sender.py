"""The outbox sender's own rules, against the fake client: in order per room, never stuck, and
one room's trouble never holds another."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from bot.domain.outbox import outbox_ref
from bot.matrix.backoff import Backoff
from bot.matrix.sender import MAX_DEFINITIVE_ATTEMPTS, OutboxSender
from bot.storage.database import Database
from bot.storage.runtime_store import Lane, OutboxLanes, RuntimeStore
from tests.harness.fakes import Clock, FakeClient

ROOMS = ("!r", "!a", "!b", "!kicked", "!open")
UNREACHABLE = aiohttp.ClientConnectionError("connection refused")


async def queue(store: RuntimeStore, *bodies: str, room: str = "!r") -> list[int]:
    return [
        await store.enqueue(room, "m.room.message", {"body": body}, txn_id=f"t-{room}-{body}")
        for body in bodies
    ]


async def test_a_message_that_cannot_be_sent_is_given_up_and_the_rest_go_out(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    client = FakeClient.in_rooms(ROOMS)
    client.choke_on = {"broken"}
    await queue(store, "first", "broken", "third")
    sender = OutboxSender(client, store)  # type: ignore[arg-type]
    for _ in range(MAX_DEFINITIVE_ATTEMPTS - 1):
        assert not await sender.flush(asyncio.Event())
    assert await sender.flush(asyncio.Event())
    assert client.bodies() == ["first", "third"]
    assert await store.pending() == []
    await db.close()


async def test_an_unreachable_homeserver_is_waited_for_and_nothing_is_given_up(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    client = FakeClient.in_rooms(ROOMS)
    client.send_error = UNREACHABLE
    await queue(store, "first", "second")
    sender = OutboxSender(client, store)  # type: ignore[arg-type]
    for _ in range(MAX_DEFINITIVE_ATTEMPTS + 2):
        with pytest.raises(aiohttp.ClientError):
            await sender.flush(asyncio.Event())
    client.send_error = None
    assert await sender.flush(asyncio.Event())
    assert client.bodies() == ["first", "second"]
    await db.close()


async def test_internal_server_errors_are_retried_for_as_long_as_they_last(tmp_path: Path) -> None:
    """Synapse answers its own failures with 500 M_UNKNOWN: that is an outage, not a refusal."""
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    client = FakeClient.in_rooms(ROOMS)
    client.refusing["!r"] = (500, "M_UNKNOWN")
    await queue(store, "first")
    sender = OutboxSender(client, store)  # type: ignore[arg-type]
    for _ in range(MAX_DEFINITIVE_ATTEMPTS + 3):
        assert not await sender.flush(asyncio.Event())
    del client.refusing["!r"]
    assert await sender.flush(asyncio.Event())
    assert client.bodies() == ["first"]
    await db.close()


async def test_a_refused_message_is_set_aside_and_counted(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    client = FakeClient.in_rooms(ROOMS)
    client.refusing["!r"] = (403, "M_FORBIDDEN")
    await queue(store, "first")
    sender = OutboxSender(client, store)  # type: ignore[arg-type]
    for _ in range(MAX_DEFINITIVE_ATTEMPTS - 1):
        assert not await sender.flush(asyncio.Event())
    assert await sender.flush(asyncio.Event())
    assert await store.set_aside_count(("!r",)) == 1 and await store.pending() == []
    await db.close()


async def test_a_room_that_refuses_the_bot_holds_back_no_other_room(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    client = FakeClient.in_rooms(ROOMS)
    client.refusing["!kicked"] = (403, "M_FORBIDDEN")
    await queue(store, "lost", room="!kicked")
    await queue(store, "one", "two", "three", room="!open")
    sender = OutboxSender(client, store, Backoff(initial=30, maximum=30))  # type: ignore[arg-type]
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    try:
        # The refused room waits 30 s between its attempts; the other room does not wait for it.
        async with asyncio.timeout(5):
            while len(client.bodies()) < 3:
                await asyncio.sleep(0.01)
        assert client.bodies() == ["one", "two", "three"]
    finally:
        stop.set()
        await running
    await db.close()


async def test_a_message_pointing_at_one_not_yet_sent_waits_for_it(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    client = FakeClient.in_rooms(ROOMS)
    [held] = await queue(store, "held", room="!a")
    await store.enqueue(
        "!b", "m.room.message", {"body": "edit", "target": outbox_ref(held)}, txn_id="edit"
    )
    client.refusing["!a"] = (500, "M_UNKNOWN")
    sender = OutboxSender(client, store)  # type: ignore[arg-type]
    assert not await sender.flush(asyncio.Event())
    assert client.bodies() == []
    del client.refusing["!a"]
    await sender.flush(asyncio.Event())
    assert await sender.flush(asyncio.Event())
    assert client.bodies() == ["held", "edit"]
    await db.close()


async def test_a_reply_goes_before_the_copies_waiting_in_its_room(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    client = FakeClient.in_rooms(ROOMS)
    for n in range(3):
        await store.enqueue(
            "!r", "m.room.message", {"body": f"copy {n}"}, txn_id=f"c{n}", purpose="mirror"
        )
    await store.enqueue("!r", "m.room.message", {"body": "status"}, txn_id="reply")
    await store.enqueue("!r", "m.room.message", {"body": "edit"}, txn_id="e", purpose="mirror-edit")
    sender = OutboxSender(client, store)  # type: ignore[arg-type]
    assert await sender.flush(asyncio.Event())
    assert client.bodies() == ["status", "copy 0", "copy 1", "copy 2", "edit"]
    await db.close()


async def test_the_mirror_waits_while_a_rooms_outbox_is_full_but_not_for_a_stuck_room(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    lanes = store.lanes
    queued = [
        await store.enqueue("!r", "m.room.message", {}, txn_id=f"c{n}", purpose="mirror")
        for n in range(OutboxLanes.FULL)
    ]
    await queue(store, "an answer")  # the bot's own words: another lane
    # Before any sender serves the outbox, nothing is held back.
    await asyncio.wait_for(lanes.room_in(["!r"]), 1)
    await store.open_lanes()
    copies = Lane("!r", copies=True)
    assert lanes.take_fresh() == {copies, Lane("!r", copies=False)}
    assert lanes.waiting(copies) == OutboxLanes.FULL
    waiting = asyncio.create_task(lanes.room_in(["!r", "!a"]))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # the room's lane is full
    await store.mark_sent(queued[0], "$sent")
    await asyncio.wait_for(waiting, 1)  # one went out: room for the next
    await db.close()


async def test_a_room_whose_lane_sends_nothing_for_a_while_holds_back_nobody() -> None:
    clock = Clock()
    lanes = OutboxLanes(clock.seconds)
    kicked = Lane("!kicked", copies=True)
    lanes.open({kicked: OutboxLanes.FULL})
    waiting = asyncio.create_task(lanes.room_in(["!kicked"]))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    lanes.settled(kicked, sent=False)  # set aside: no sign the room takes messages
    lanes.queued(kicked)
    await asyncio.sleep(0.05)
    assert not waiting.done()
    waiting.cancel()
    clock.advance(OutboxLanes.STUCK_SECONDS + 0.1)
    await asyncio.wait_for(lanes.room_in(["!kicked"]), 1)
