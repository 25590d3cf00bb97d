"""An assembly on the real homeserver: an English and a Spanish room, people in both, the bot.

alice (English room) and beto (Spanish room) are ordinary members; carol (English room) chairs;
dani sits in the Spanish room. Each test gets fresh rooms and a fresh bot database.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.cli.devserver import LocalSynapse, RegisteredAccount
from tests.conftest import BOT_LOCALPART, BOT_PASSWORD
from tests.harness.bot_runner import BotRunner, RoomPair, write_config
from tests.harness.libretranslate import FakeLibreTranslate
from tests.harness.person import Person, content_of, type_of
from tests.harness.time_machine import TimeMachine

# Seconds before a translation counts as failed; short so the fault tests stay quick.
TRANSLATION_TIMEOUT = 2


@pytest.fixture
async def rooms(
    accounts: dict[str, RegisteredAccount], alice: Person, beto: Person, carol: Person, dani: Person
) -> AsyncIterator[RoomPair]:
    bot_id = accounts[BOT_LOCALPART].user_id
    english = await alice.create_room("Assembly (EN)", invite=[bot_id, carol.user_id])
    spanish = await beto.create_room("Asamblea (ES)", invite=[bot_id, dani.user_id])
    await carol.join(english)
    await dani.join(spanish)
    yield RoomPair(english=english, spanish=spanish)
    # Leave, so that later tests' first syncs don't carry this test's rooms around.
    for person, room in ((alice, english), (carol, english), (beto, spanish), (dani, spanish)):
        with contextlib.suppress(Exception):
            await person.leave(room)


@pytest.fixture(scope="session")
def translation_server() -> Iterator[FakeLibreTranslate]:
    """The LibreTranslate look-alike every bot in the suite translates with."""
    with FakeLibreTranslate() as server:
        yield server


@pytest.fixture
def translator(translation_server: FakeLibreTranslate) -> Iterator[FakeLibreTranslate]:
    """The translation server, healthy at the start and the end of each test."""
    translation_server.heal()
    yield translation_server
    translation_server.heal()


@pytest.fixture
def assembly_extra() -> str:
    """More `[[assemblies]]` settings for the bot's configuration; a test module may override."""
    return ""


def assembly_config(
    path: Path,
    homeserver: str,
    accounts: dict[str, RegisteredAccount],
    rooms: RoomPair,
    chair: Person,
    translator: FakeLibreTranslate,
    assembly_extra: str = "",
) -> Path:
    """The test assembly's configuration: the two rooms, `chair` as its standing chair, and
    translation through the loopback LibreTranslate."""
    return write_config(
        path,
        homeserver=homeserver,
        bot_user_id=accounts[BOT_LOCALPART].user_id,
        bot_password=BOT_PASSWORD,
        rooms=rooms,
        chairs=[chair.user_id],
        translation=(
            f'provider = "libre"\nurl = "{translator.url}"\ntimeout_seconds = {TRANSLATION_TIMEOUT}'
        ),
        assembly_extra=assembly_extra,
    )


@contextlib.asynccontextmanager
async def running_bot(
    config: Path,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    bot_id: str,
    time_machine: TimeMachine | None = None,
) -> AsyncIterator[BotRunner]:
    """The bot, running, and seen joining both rooms by the people there."""
    runner = BotRunner(config, time_machine=time_machine)
    await runner.start()
    for person, room in ((alice, rooms.english), (beto, rooms.spanish)):
        await person.wait_for(lambda r, e, room=room: r == room and joined(e, bot_id))
    try:
        yield runner
    finally:
        await runner.stop()


@pytest.fixture
def bot_config(
    tmp_path: Path,
    synapse: LocalSynapse,
    accounts: dict[str, RegisteredAccount],
    rooms: RoomPair,
    carol: Person,
    translator: FakeLibreTranslate,
    assembly_extra: str,
) -> Path:
    return assembly_config(
        tmp_path / "config.toml",
        synapse.base_url,
        accounts,
        rooms,
        carol,
        translator,
        assembly_extra,
    )


@pytest.fixture
def time_machine() -> TimeMachine | None:
    """None: the bot's timers follow the wall clock. A test module may give it a TimeMachine."""
    return None


@pytest.fixture
async def bot(
    bot_config: Path,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    accounts: dict[str, RegisteredAccount],
    time_machine: TimeMachine | None,
) -> AsyncIterator[BotRunner]:
    """The bot, running and joined to both rooms."""
    bot_id = accounts[BOT_LOCALPART].user_id
    async with running_bot(bot_config, rooms, alice, beto, bot_id, time_machine) as runner:
        yield runner


def joined(event: object, user_id: str) -> bool:
    return (
        type_of(event) == "m.room.member"
        and event.source.get("state_key") == user_id  # type: ignore[attr-defined]
        and content_of(event).get("membership") == "join"
    )
