"""The outbox sender's own rules, against a stand-in homeserver: in order, and never stuck."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from nio import RoomSendResponse

from bot.matrix.sender import MAX_PERMANENT_ATTEMPTS, OutboxSender
from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore


class Homeserver:
    """Accepts messages, except those it is told to choke on or to be unreachable for."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.choke_on: set[str] = set()
        self.unreachable = False

    async def room_send(self, room_id: str, event_type: str, content: dict[str, Any], **_: Any):
        if self.unreachable:
            raise aiohttp.ClientConnectionError("connection refused")
        if content["body"] in self.choke_on:
            raise ValueError("cannot encode this")
        self.received.append(content["body"])
        return RoomSendResponse(f"$e{len(self.received)}", room_id)


async def queue(store: RuntimeStore, *bodies: str) -> None:
    for body in bodies:
        await store.enqueue("!r", "m.room.message", {"body": body}, txn_id=f"t-{body}")


async def test_a_message_that_cannot_be_sent_is_given_up_and_the_rest_go_out(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    server = Homeserver()
    server.choke_on = {"broken"}
    await queue(store, "first", "broken", "third")
    sender = OutboxSender(server, store)  # type: ignore[arg-type]
    for _ in range(MAX_PERMANENT_ATTEMPTS - 1):
        assert not await sender.flush(asyncio.Event())
    assert await sender.flush(asyncio.Event())
    assert server.received == ["first", "third"]
    assert await store.pending() == []
    await db.close()


async def test_an_unreachable_homeserver_is_waited_for_and_nothing_is_given_up(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "a.db")
    store = RuntimeStore(db)
    server = Homeserver()
    server.unreachable = True
    await queue(store, "first", "second")
    sender = OutboxSender(server, store)  # type: ignore[arg-type]
    for _ in range(MAX_PERMANENT_ATTEMPTS + 2):
        with pytest.raises(aiohttp.ClientError):
            await sender.flush(asyncio.Event())
    server.unreachable = False
    assert await sender.flush(asyncio.Event())
    assert server.received == ["first", "second"]
    await db.close()
