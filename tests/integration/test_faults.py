"""Faults: the bot killed mid-burst, the homeserver down, the translator failing.

Nothing may be lost and nothing duplicated.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.devserver import LocalSynapse
from tests.conftest import BOT_PASSWORD
from tests.harness.bot_runner import BotProcess, BotRunner, RoomPair, write_config
from tests.harness.matchers import copy_of
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


@pytest.fixture(scope="module")
def strict_synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSynapse]:
    """A second homeserver whose message rate limit is tight, for the bot only."""
    server = LocalSynapse(tmp_path_factory.mktemp("strict-synapse"), rate_limits="tight")
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_rate_limited_copies_are_retried_after_the_wait_and_none_dropped(
    strict_synapse: LocalSynapse, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    admin = strict_synapse.register("admin", "admin-password", admin=True)
    bot_account = strict_synapse.register("asamblea", BOT_PASSWORD)
    people = {}
    for name in ("alice", "beto"):
        account = strict_synapse.register(name, "password", displayname=name.title())
        strict_synapse.lift_rate_limit(admin, account.user_id)
        people[name] = Person(strict_synapse.base_url, account)
        await people[name].start()
    alice, beto = people["alice"], people["beto"]
    try:
        rooms = RoomPair(
            await alice.create_room("EN", invite=[bot_account.user_id]),
            await beto.create_room("ES", invite=[bot_account.user_id]),
        )
        config = write_config(
            tmp_path / "config.toml",
            homeserver=strict_synapse.base_url,
            bot_user_id=bot_account.user_id,
            bot_password=BOT_PASSWORD,
            rooms=rooms,
            chairs=[alice.user_id],
        )
        runner = BotRunner(config)
        await runner.start()
        try:
            await beto.wait_for(lambda r, e: joined(e, bot_account.user_id) and r == rooms.spanish)
            caplog.set_level(logging.WARNING, logger="nio")
            sent = [await alice.send_text(rooms.english, f"hello {n}") for n in range(8)]
            await beto.wait_for(copy_of(sent[-1]), timeout=60)
            await beto.next_sync()
            assert copies_in(beto, rooms.spanish, sent) == list(range(8))
            assert any("ratelimited" in record.getMessage() for record in caplog.records)
        finally:
            await runner.stop()
    finally:
        for person in people.values():
            await person.stop()


def bot_answer(bot_id: str, room_id: str, asked: str, announced: bool):
    """The bot's answer to one command: its reply, its reaction, or (for commands answered
    to everyone) its next announcement in the room."""

    def match(event_room: str, event: Any) -> bool:
        if event_room != room_id or event.source.get("sender") != bot_id:
            return False
        relation = content_of(event).get("m.relates_to")
        relation = relation if isinstance(relation, dict) else {}
        reply = relation.get("m.in_reply_to")
        if isinstance(reply, dict) and reply.get("event_id") == asked:
            return True
        if relation.get("rel_type") == "m.annotation" and relation.get("event_id") == asked:
            return True
        return announced and event.source.get("type") == "m.room.message" and not relation

    return match


async def command(
    person: Person, room_id: str, body: str, bot_id: str, announced: bool = False
) -> str:
    """Send a command, wait for the bot's answer, return the answer's body."""
    mark = person.mark()
    asked = await person.send_text(room_id, body)
    answer = await person.wait_for(
        bot_answer(bot_id, room_id, asked, announced), since=mark, timeout=60
    )
    return str(content_of(answer).get("body", ""))


async def test_votes_and_the_stack_survive_a_kill_in_the_middle_of_a_burst(
    bot_config: Path, rooms: RoomPair, alice: Person, beto: Person, carol: Person, accounts: dict
) -> None:
    process = BotProcess(bot_config)
    process.start()
    try:
        bot_id = accounts["asamblea"].user_id
        await alice.wait_for(lambda r, e: r == rooms.english and joined(e, bot_id), timeout=60)
        await beto.wait_for(lambda r, e: r == rooms.spanish and joined(e, bot_id), timeout=60)
        await command(carol, rooms.english, '!startmeeting "Asamblea"', bot_id, announced=True)
        await command(beto, rooms.spanish, "!mano", bot_id, announced=True)
        await command(alice, rooms.english, "!hand", bot_id, announced=True)
        stack_before = await command(carol, rooms.english, "!stack", bot_id)
        await command(carol, rooms.english, '!poll "Do we continue?"', bot_id, announced=True)
        await command(alice, rooms.english, "!vote yes", bot_id)
        await command(beto, rooms.spanish, "!votar sí", bot_id)

        sent = [await alice.send_text(rooms.english, f"hello {n}") for n in range(10)]
        await beto.wait_for(copy_of(sent[2]), timeout=60)
        process.kill()
        sent += [await alice.send_text(rooms.english, f"hello {n}") for n in range(10, 20)]
        process.start()
        await beto.wait_for(copy_of(sent[-1]), timeout=60)

        assert await command(carol, rooms.english, "!stack", bot_id) == stack_before
        result = await command(carol, rooms.english, "!close", bot_id, announced=True)
        assert "All centers: Yes 2, No 0, Abstain 0" in result, process.log_tail()
        await beto.next_sync()
        assert copies_in(beto, rooms.spanish, sent) == list(range(20)), process.log_tail()
    finally:
        process.stop()
