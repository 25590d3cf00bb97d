"""A message the bot cannot decrypt yet: kept across restarts, flagged after a while, handled
once when its key arrives, given up on at last."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from nio import Event, MegolmEvent

from bot.domain.events import IncomingEvent
from bot.matrix.encryption import Encryption, RetryTiming
from bot.matrix.undecryptable import UndecryptableNotices
from bot.settings import EncryptionSettings
from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore
from tests.harness.fakes import Clock, FakeClient

ROOM = "!en:x"
BOT = "@asamblea:x"
TIMING = RetryTiming(react_after_seconds=10, give_up_after_seconds=100, most_kept=3)


def encrypted(event_id: str, sender: str = "@alice:x", session: str = "s1") -> MegolmEvent:
    event = Event.parse_event(
        {
            "type": "m.room.encrypted",
            "event_id": event_id,
            "sender": sender,
            "origin_server_ts": 1000,
            "content": {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "opaque",
                "sender_key": "curve",
                "session_id": session,
                "device_id": "PHONE",
            },
        }
    )
    assert isinstance(event, MegolmEvent)
    return event


@dataclass
class Sessions:
    known: set[str] = field(default_factory=set)

    def get(self, room_id: str, sender_key: str, session_id: str) -> object | None:
        return object() if session_id in self.known else None


@dataclass
class Olm:
    inbound_group_store: Sessions = field(default_factory=Sessions)


def bot_client() -> FakeClient:
    """The bot's client: every message it cannot read yet says "!status" once decrypted."""
    return FakeClient(olm=Olm(), user_id=BOT, plaintext="!status")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[RuntimeStore]:
    db = await Database.open(tmp_path / "bot.db")
    try:
        yield RuntimeStore(db)
    finally:
        await db.close()


def encryption(client: FakeClient, store: RuntimeStore, clock: Clock) -> Encryption:
    crypto = Encryption(
        client,  # type: ignore[arg-type]
        EncryptionSettings(),
        store,
        timing=TIMING,
        clock=clock.seconds,
        notices=UndecryptableNotices(store, lambda room_id: "🔒", lambda: None),
    )
    return crypto


class Handled:
    def __init__(self) -> None:
        self.events: list[IncomingEvent] = []

    async def __call__(self, room_id: str, events: list[IncomingEvent]) -> None:
        self.events.extend(events)


async def outbox(store: RuntimeStore) -> list[tuple[str, dict[str, Any]]]:
    return [(m.event_type, m.content) for m in await store.pending()]


async def test_an_unreadable_message_is_kept_across_a_restart_but_our_own_are_not(
    store: RuntimeStore,
) -> None:
    client, clock = bot_client(), Clock(start=1000)
    crypto = encryption(client, store, clock)
    await crypto.remember(ROOM, [encrypted("$a"), encrypted("$mine", sender=BOT)])
    await crypto.remember(ROOM, [encrypted("$a")])  # seen again (a back-fill): kept once
    assert await crypto.pending_event_ids() == ["$a"]
    restarted = encryption(client, store, clock)
    assert await restarted.pending_event_ids() == ["$a"]
    assert not await store.is_handled("$a")


async def test_its_key_is_requested_once_and_a_reaction_comes_only_after_a_while(
    store: RuntimeStore,
) -> None:
    client, clock = bot_client(), Clock(start=1000)
    crypto = encryption(client, store, clock)
    handled = Handled()
    await crypto.remember(ROOM, [encrypted("$a")])
    await crypto.after_sync(handled)
    assert client.requested == ["$a"]
    assert await outbox(store) == []

    clock.advance(10)
    await crypto.after_sync(handled)
    await crypto.after_sync(handled)
    [(kind, content)] = await outbox(store)
    assert kind == "m.reaction"
    assert content["m.relates_to"] == {"rel_type": "m.annotation", "event_id": "$a", "key": "🔒"}
    assert client.requested == ["$a"] and handled.events == []


async def test_when_the_key_arrives_it_is_handled_once_and_the_reaction_withdrawn(
    store: RuntimeStore,
) -> None:
    client, clock = bot_client(), Clock(start=1000)
    crypto = encryption(client, store, clock)
    handled = Handled()
    await crypto.remember(ROOM, [encrypted("$a", session="late")])
    clock.advance(10)
    await crypto.after_sync(handled)  # reacted

    client.olm.inbound_group_store.known.add("late")
    await crypto.after_sync(handled)
    await crypto.after_sync(handled)
    [event] = handled.events
    assert (event.event_id, event.room_id, event.type, event.body) == (
        "$a",
        ROOM,
        "m.room.message",
        "!status",
    )
    assert event.sender == "@alice:x" and event.ts == 1000
    assert await crypto.pending_event_ids() == []
    kinds = [kind for kind, _ in await outbox(store)]
    assert kinds == ["m.reaction", "m.room.redaction"]


async def test_the_bot_gives_up_at_last_and_keeps_only_so_many(store: RuntimeStore) -> None:
    client, clock = bot_client(), Clock(start=1000)
    crypto = encryption(client, store, clock)
    await crypto.remember(ROOM, [encrypted("$old")])
    clock.advance(100)
    await crypto.after_sync(Handled())
    assert await crypto.pending_event_ids() == []
    assert await store.is_handled("$old")  # never acted on, even if its key turns up

    for n in range(4):
        clock.advance(1)
        await crypto.remember(ROOM, [encrypted(f"${n}")])
    assert await crypto.pending_event_ids() == ["$1", "$2", "$3"]
    assert await store.is_handled("$0")
