"""Faults: the bot killed mid-burst, the homeserver down, the translator failing.

Nothing may be lost and nothing duplicated.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.devserver import LocalSynapse
from tests.harness.bot_runner import BotProcess, BotRunner, RoomPair
from tests.harness.person import Person, content_of
from tests.integration.conftest import joined

MARKER = "org.asamblea.bot"


def copies_in(person: Person, room_id: str, sources: list[str]) -> list[int]:
    """Positions (in `sources`) of the mirrored copies `person` saw in `room_id`, in order."""
    position = {source: n for n, source in enumerate(sources)}
    found = []
    for event_room, event in person.events:
        marker = content_of(event).get(MARKER) or {}
        relation = content_of(event).get("m.relates_to") or {}
        if (
            event_room == room_id
            and marker.get("kind") == "mirror"
            and marker.get("source") in position
            and relation.get("rel_type") != "m.replace"
        ):
            found.append(position[marker["source"]])
    return found


def copy_of(source: str):
    def match(room_id: str, event: Any) -> bool:
        marker = content_of(event).get(MARKER) or {}
        return marker.get("source") == source and "rel_type" not in (
            content_of(event).get("m.relates_to") or {}
        )

    return match


async def test_the_bot_killed_mid_burst_loses_and_repeats_nothing(
    bot_config: Path, rooms: RoomPair, alice: Person, beto: Person, accounts: dict
) -> None:
    process = BotProcess(bot_config)
    process.start()
    try:
        bot_id = accounts["asamblea"].user_id
        await alice.wait_for(lambda r, e: r == rooms.english and joined(e, bot_id), timeout=60)
        await beto.wait_for(lambda r, e: r == rooms.spanish and joined(e, bot_id), timeout=60)
        sent = [await alice.send_text(rooms.english, f"hello {n}") for n in range(15)]
        await beto.wait_for(copy_of(sent[4]), timeout=60)
        process.kill()
        sent += [await alice.send_text(rooms.english, f"hello {n}") for n in range(15, 30)]
        process.start()
        await beto.wait_for(copy_of(sent[-1]), timeout=60)
        await beto.next_sync()
        assert copies_in(beto, rooms.spanish, sent) == list(range(30)), process.log_tail()
    finally:
        process.stop()


async def test_the_homeserver_down_for_ten_seconds_delays_but_loses_nothing(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, synapse: LocalSynapse
) -> None:
    before = await alice.send_text(rooms.english, "hello before")
    synapse.stop()
    try:
        # alice's client keeps retrying while the homeserver is away, as real clients do.
        during = asyncio.create_task(alice.send_text(rooms.english, "hello during"))
        await asyncio.sleep(10)  # the outage itself is what is under test
    finally:
        synapse.start()
    sent = [before, await during]
    after = await alice.send_text(rooms.english, "hello after")
    sent.append(after)
    await beto.wait_for(copy_of(after), timeout=60)
    await beto.next_sync()
    assert copies_in(beto, rooms.spanish, sent) == [0, 1, 2]
