"""Keeping pace on the real homeserver: an outage answered with 500s loses nothing, a room that
refuses the bot holds back no other room, and a big poll costs one translation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.cli.devserver import LocalSynapse, RegisteredAccount
from tests.conftest import BOT_LOCALPART
from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.faulty_proxy import FaultyProxy
from tests.harness.libretranslate import FakeLibreTranslate
from tests.harness.matchers import copy_of
from tests.harness.person import Person, body_of, content_of
from tests.integration.conftest import assembly_config, running_bot
from tests.integration.test_faults import copies_in
from tests.integration.test_records import ask


@pytest.fixture
async def proxy(synapse: LocalSynapse) -> AsyncIterator[FaultyProxy]:
    proxy = await FaultyProxy(synapse.base_url).start()
    try:
        yield proxy
    finally:
        await proxy.stop()


@pytest.fixture
async def bot_behind_proxy(
    tmp_path: Path,
    proxy: FaultyProxy,
    accounts: dict[str, RegisteredAccount],
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    carol: Person,
    translator: FakeLibreTranslate,
) -> AsyncIterator[BotRunner]:
    """The bot, reaching the homeserver only through the proxy."""
    config = assembly_config(
        tmp_path / "config.toml", proxy.url, accounts, rooms, carol, translator
    )
    bot_id = accounts[BOT_LOCALPART].user_id
    async with running_bot(config, rooms, alice, beto, bot_id) as runner:
        yield runner


async def test_a_homeserver_answering_500_for_three_seconds_loses_nothing(
    bot_behind_proxy: BotRunner, proxy: FaultyProxy, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    proxy.fail_sends_for(3.0)
    said = [await alice.send_text(rooms.english, f"hello everyone {n}") for n in range(5)]
    await beto.wait_for(copy_of(said[-1], rooms.spanish), timeout=30)
    assert proxy.refused > 0, "the outage never met a send"
    # Every message once, in the order it was said.
    assert copies_in(beto, rooms.spanish, said) == [0, 1, 2, 3, 4]
    assert bot_behind_proxy.app is not None and bot_behind_proxy.app.db is not None
    failed = await bot_behind_proxy.app.db.fetch_all("SELECT id FROM outbox WHERE failed = 1")
    assert failed == []


async def test_a_room_that_refuses_the_bot_holds_back_no_other_room(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    assert bot.app is not None
    bot_id = bot.app.config.matrix.user_id
    # beto created the Spanish room: he removes the bot from it. Every copy for it is refused.
    kicked = beto.mark()
    await beto.client.room_kick(rooms.spanish, bot_id, reason="testing")
    await beto.wait_for(
        lambda r, e: r == rooms.spanish and content_of(e).get("membership") == "leave",
        since=kicked,
    )
    for n in range(3):
        await alice.send_text(rooms.english, f"hello everyone {n}")
    # The English room's answer does not wait for the Spanish room's refusals to run out; a
    # refused copy takes several seconds of attempts before it is set aside.
    answer = await ask(alice, rooms.english, "!status")
    assert "Asamblea de prueba" in answer
    assert bot.app.db is not None
    set_aside = await bot.app.db.fetch_all("SELECT id FROM outbox WHERE failed = 1")
    assert len(set_aside) < 3, "the English answer waited for every Spanish refusal"

    # Once the refusals have run their course, !status counts the messages set aside.
    async with asyncio.timeout(30):
        while len(await bot.app.db.fetch_all("SELECT id FROM outbox WHERE failed = 1")) < 3:
            await asyncio.sleep(0.2)
    assert "refused for good: 3" in await ask(alice, rooms.english, "!status")


@pytest.fixture
def slow_translator(translator: FakeLibreTranslate) -> Iterator[FakeLibreTranslate]:
    translator.delay_seconds = 0.5
    yield translator
    translator.delay_seconds = 0.0


async def test_a_twenty_option_poll_costs_one_translation_and_delays_no_message(
    bot: BotRunner,
    slow_translator: FakeLibreTranslate,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    carol: Person,
) -> None:
    options = " ".join(f'"option {n}"' for n in range(1, 21))
    await carol.send_text(rooms.english, f'!poll "Which day?" {options}')
    said = await alice.send_text(rooms.english, "hello everyone")
    # Twenty options translated one by one at 0.5 s each would hold this copy for ten seconds.
    copy = await beto.wait_for(copy_of(said, rooms.spanish), timeout=6)
    assert "hola todos" in body_of(copy)
    start = await beto.wait_for(
        lambda r, e: r == rooms.spanish and "org.matrix.msc3381.poll.start" in content_of(e)
    )
    answers = content_of(start)["org.matrix.msc3381.poll.start"]["answers"]
    assert len(answers) == 20
    with_options = [text for text in slow_translator.requests if "option 7" in text]
    assert len(with_options) == 1 and "option 20" in with_options[0]
