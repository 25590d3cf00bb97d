"""Names and records of a first meeting, on the real homeserver.

Ana and Beto called themselves "Ana (US)" and "Beto (MX)", as many members do; both are standing
chairs. Ana sits in the English room; Beto and Dani in the Spanish one. The assembly translates
with `provider = "none"`, so every "translation" is the original itself. The bot's clock is a
TimeMachine, so a turn at speaking lasts minutes without the test waiting for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.devserver import LocalSynapse, RegisteredAccount
from tests.conftest import BOT_LOCALPART, BOT_PASSWORD, PERSON_PASSWORD
from tests.harness.bot_runner import BotRunner, RoomPair, write_config
from tests.harness.person import Person, body_of, type_of
from tests.harness.reading import as_read
from tests.harness.time_machine import TimeMachine
from tests.integration.conftest import running_bot
from tests.integration.test_records import a_file, ask, download, reaction_to, says

TURN = timedelta(minutes=6, seconds=23)


@pytest.fixture(scope="session")
def named(synapse: LocalSynapse) -> dict[str, RegisteredAccount]:
    """Two members whose display names already end in their centers."""
    return {
        "ana": synapse.register("ana", PERSON_PASSWORD, displayname="Ana (US)"),
        "betomx": synapse.register("betomx", PERSON_PASSWORD, displayname="Beto (MX)"),
    }


@pytest.fixture
async def ana(synapse: LocalSynapse, named: dict[str, RegisteredAccount]) -> AsyncIterator[Person]:
    async with Person(synapse.base_url, named["ana"]) as person:
        yield person


@pytest.fixture
async def beto_mx(
    synapse: LocalSynapse, named: dict[str, RegisteredAccount]
) -> AsyncIterator[Person]:
    async with Person(synapse.base_url, named["betomx"]) as person:
        yield person


@pytest.fixture
async def named_rooms(
    accounts: dict[str, RegisteredAccount], ana: Person, beto_mx: Person, dani: Person
) -> AsyncIterator[RoomPair]:
    bot_id = accounts[BOT_LOCALPART].user_id
    english = await ana.create_room("Assembly (EN)", invite=[bot_id])
    spanish = await beto_mx.create_room("Asamblea (ES)", invite=[bot_id, dani.user_id])
    await dani.join(spanish)
    yield RoomPair(english=english, spanish=spanish)
    for person, room in ((ana, english), (beto_mx, spanish), (dani, spanish)):
        with contextlib.suppress(Exception):
            await person.leave(room)


@pytest.fixture
async def named_bot(
    tmp_path: Path,
    synapse: LocalSynapse,
    accounts: dict[str, RegisteredAccount],
    named_rooms: RoomPair,
    ana: Person,
    beto_mx: Person,
) -> AsyncIterator[tuple[BotRunner, TimeMachine]]:
    bot_id = accounts[BOT_LOCALPART].user_id
    config = write_config(
        tmp_path / "config.toml",
        homeserver=synapse.base_url,
        bot_user_id=bot_id,
        bot_password=BOT_PASSWORD,
        rooms=named_rooms,
        chairs=[ana.user_id, beto_mx.user_id],
        translation='provider = "none"',
    )
    machine = TimeMachine()
    async with running_bot(config, named_rooms, ana, beto_mx, bot_id, machine) as runner:
        yield runner, machine


def a_poll_start(room_id: str):
    return lambda r, e: r == room_id and type_of(e) == "org.matrix.msc3381.poll.start"


def row_of(markdown: str, starts: str) -> str:
    """The first line of a Markdown table that starts with `starts`."""
    return next(line for line in markdown.splitlines() if line.startswith(starts))


async def test_a_first_meeting_names_people_once_and_numbers_what_it_records(
    named_bot: tuple[BotRunner, TimeMachine],
    named_rooms: RoomPair,
    ana: Person,
    beto_mx: Person,
    dani: Person,
    tmp_path: Path,
) -> None:
    bot, time_machine = named_bot
    en, es = named_rooms.english, named_rooms.spanish

    # The opening names the chairs with their centers, each once.
    await ana.send_text(en, "!startmeeting Lunch")
    opened = body_of(await beto_mx.wait_for(says(bot, es, "Empieza la reunión: Lunch")))
    assert "Moderación: Ana (US), Beto (MX)." in opened

    # A mirrored message, the stack and the floor name Ana and Beto once.
    said = await ana.send_text(en, "hello everyone")
    copy = await beto_mx.wait_for(says(bot, es, "hello everyone"))
    assert body_of(copy) == "Ana (US) [sin traducir]: hello everyone" and said
    await beto_mx.send_text(es, "!mano")
    await ana.wait_for(says(bot, en, "Beto (MX) raised a hand"))
    assert "1. Beto (MX) — turn" in await ask(ana, en, "!stack")
    await dani.send_text(es, "!presente")
    await ana.send_text(en, "!call")
    await beto_mx.wait_for(says(bot, es, "Beto (MX) tiene la palabra."))
    time_machine.move_to(time_machine.now() + TURN)

    # A poll, counted and closed: its result names the voters as messages do.
    await ana.send_text(en, '!poll "Do we eat at noon?"')
    await beto_mx.wait_for(a_poll_start(es))
    for person, room, vote in ((ana, en, "!vote yes"), (beto_mx, es, "!votar sí")):
        voted = await person.send_text(room, vote)
        await person.wait_for(reaction_to(voted, "✅"))
    await ana.send_text(en, "!close")
    result = body_of(await ana.wait_for(says(bot, en, "Poll #1 closed by Ana (US)")))
    assert "Voted Yes: Ana (US), Beto (MX)." in result

    # The first agreement and the first action item are #1, whatever came before them; the
    # Spanish room reads the agreement once, its "translation" being the same words.
    mark = beto_mx.mark()
    assert await ask(ana, en, "!agreed We eat at noon") == "Agreement #1 recorded: We eat at noon"
    told = await beto_mx.wait_for(says(bot, es, "Acuerdo #"), since=mark)
    assert body_of(told) == "Ana (US): Acuerdo #1 anotado: We eat at noon"
    answer = await ask(ana, en, f"!action {beto_mx.user_id} book the hall")
    assert answer.splitlines() == [
        "Action item #1 for Beto (MX): book the hall",
        "It is commitment C1 of the assembly: it is reviewed at the next meeting until it is done.",
    ]

    # The end of the meeting tells each center's speaking time.
    await ana.send_text(en, "!endmeeting")
    ended = body_of(await ana.wait_for(says(bot, en, "Meeting ended: Lunch")))
    spoken = re.search(r"MX: present 2, turns 1, speaking time (\d+ min \d+ s)\.", ended)
    assert spoken is not None, ended
    assert "(US) (US)" not in ended

    # !status names the rooms.
    status = await ask(beto_mx, es, "!estado")
    assert "Sala Assembly (EN): inglés, centro US" in status
    assert "Sala Asamblea (ES): español, centro MX" in status and en not in status

    # After a restart, the minutes in chat and from the command line still name everyone.
    assert bot.app is not None and bot.app.db is not None
    meeting = (await bot.app.db.fetch_one("SELECT max(id) AS id FROM meetings"))["id"]
    database = str(bot.app.config.database_path)
    await bot.restart()
    asked = await beto_mx.send_text(es, "!acta")
    await beto_mx.wait_for(reaction_to(asked, "📄"))
    english = await download(ana, await ana.wait_for(a_file(en, f"minutes-{meeting}-en.md")))
    spanish = await download(
        beto_mx, await beto_mx.wait_for(a_file(es, f"minutes-{meeting}-es.md"))
    )
    output = tmp_path / "minutes.md"
    args = ["minutes", "--database", database, "--meeting", str(meeting), "--format", "md"]
    assert await asyncio.to_thread(main, [*args, "--lang", "en", "-o", str(output)]) == 0
    from_the_command_line = as_read(output.read_text(encoding="utf-8"))

    for minutes in (english, from_the_command_line):
        assert "Chairs: Ana (US), Beto (MX)" in minutes
        assert "| US | 1 | Ana |" in minutes and "| MX | 2 | Beto, Dani |" in minutes
        assert "- **#1** We eat at noon _(" in minutes
        assert "### #1 Do we eat at noon?\n" in minutes
        assert "- **#1** book the hall _(" in minutes
        assert row_of(minutes, "| Speaking time |").endswith(f"| {spoken.group(1)} |")
        assert spoken.group(1) in row_of(minutes, "| Beto | MX | 1 |")
        assert "@" not in minutes and "(US) (US)" not in minutes
    assert "Moderación: Ana (US), Beto (MX)" in spanish
    assert "- **#1** We eat at noon _(" in spanish and "original: We eat at noon" not in spanish
