"""Everyday manners on the real homeserver: what the bot's messages ask of people, how little it
says when a hand goes up, which invites it takes, and how it tells an operator about a mistyped
setting.

alice and carol (the chair) sit in the English room, beto and dani in the Spanish room.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.matchers import bot_id, copy_of, replies_to
from tests.harness.matchers import bot_says as from_bot
from tests.harness.person import Person, body_of, content_of, type_of
from tests.integration.conftest import joined

REPOSITORY = Path(__file__).parents[2]


async def answer_to(person: Person, room: str, command: str) -> Any:
    asked = await person.send_text(room, command)
    return await person.wait_for(replies_to(asked))


async def logged(caplog: pytest.LogCaptureFixture, *words: str, timeout: float = 20.0) -> str:
    """Wait until the bot logs a line holding all of `words`."""

    async def scan() -> str:
        while True:
            for record in caplog.records:
                message = record.getMessage()
                if all(word in message for word in words):
                    return message
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(scan(), timeout)


async def open_meeting(bot: BotRunner, rooms: RoomPair, carol: Person, beto: Person) -> None:
    await carol.send_text(rooms.english, "!startmeeting Manners")
    await carol.wait_for(from_bot(bot, rooms.english, "Meeting started: Manners"))
    await beto.wait_for(from_bot(bot, rooms.spanish, "Empieza la reunión"))


# -- 1. notices for the bot's chatter, texts where someone must hear it -------------------------


async def test_answers_are_notices_the_floor_pings_and_copies_keep_their_type(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    await open_meeting(bot, rooms, carol, beto)

    answer = await answer_to(alice, en, "!stack")
    assert content_of(answer)["msgtype"] == "m.notice"

    await beto.send_text(es, "!mano")
    await beto.wait_for(from_bot(bot, es, "Beto (MX)"))
    mark_alice, mark_beto = alice.mark(), beto.mark()
    await carol.send_text(en, "!call")
    ping = await beto.wait_for(from_bot(bot, es, "Beto (MX) tiene la palabra."), since=mark_beto)
    assert content_of(ping)["msgtype"] == "m.text"
    assert content_of(ping)["m.mentions"] == {"user_ids": [beto.user_id]}
    told = await alice.wait_for(from_bot(bot, en, "Beto (MX) has the floor."), since=mark_alice)
    assert content_of(told)["msgtype"] == "m.notice"  # nobody in this room is being called

    text = await alice.send_text(en, "hello everyone")
    notice = await alice.send_content(
        en, "m.room.message", {"msgtype": "m.notice", "body": "good morning"}
    )
    emote = await alice.send_content(en, "m.room.message", {"msgtype": "m.emote", "body": "waves"})
    copies = {source: await beto.wait_for(copy_of(source, es)) for source in (text, notice, emote)}
    assert {source: content_of(copy)["msgtype"] for source, copy in copies.items()} == {
        text: "m.text",
        notice: "m.notice",
        emote: "m.emote",
    }
    assert body_of(copies[text]).startswith("Alice (US) [traducción automática]: hola todos")
    assert body_of(copies[emote]).startswith("Alice (US)")


# -- 2. a raised hand is one line ---------------------------------------------------------------


def bot_messages(bot: BotRunner, person: Person, room: str, since: int) -> list[str]:
    return [
        body_of(event) or ""
        for event_room, event in person.events[since:]
        if event_room == room
        and event.source.get("sender") == bot_id(bot)
        and type_of(event) == "m.room.message"
    ]


async def test_a_raised_hand_is_answered_with_one_line_in_each_room(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, dani: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    await open_meeting(bot, rooms, carol, beto)
    await alice.send_text(en, "!hand")
    await alice.wait_for(from_bot(bot, en, "Alice (US) raised a hand and is next"))
    await beto.wait_for(from_bot(bot, es, "Alice (US) pidió la palabra y es quien sigue"))

    mark_alice, mark_beto = alice.mark(), beto.mark()
    await beto.send_text(es, "!mano")
    in_spanish = "Beto (MX) pidió la palabra: número 2 de la lista; sigue: Alice (US)."
    in_english = "Beto (MX) raised a hand: number 2 on the stack; next: Alice (US)."
    await beto.wait_for(from_bot(bot, es, in_spanish), since=mark_beto)
    await alice.wait_for(from_bot(bot, en, in_english), since=mark_alice)
    # Each room gets the bot's messages in order: an answer asked for afterwards ends the count.
    stack_en = await answer_to(alice, en, "!stack")
    stack_es = await answer_to(beto, es, "!turnos")
    assert bot_messages(bot, alice, en, mark_alice) == [in_english, body_of(stack_en)]
    assert bot_messages(bot, beto, es, mark_beto) == [in_spanish, body_of(stack_es)]
    # The whole stack is for !stack / !turnos (and for a change of floor).
    assert "1. Alice (US) — turn\n2. Beto (MX) — turn" in body_of(stack_en)

    # A ✋ on the latest stack message raises a hand; the one-line answer leaves that message
    # the one to react to, in both rooms.
    mark_alice, mark_beto = alice.mark(), beto.mark()
    await dani.react(es, stack_es.event_id, "✋️")
    dani_line = "Dani (MX) raised a hand: number 3 on the stack; next: Alice (US)."
    await alice.wait_for(from_bot(bot, en, dani_line), since=mark_alice)
    await carol.react(en, stack_en.event_id, "✋")
    carol_line = "Carol (US) pidió la palabra: número 3 de la lista; sigue: Alice (US)."
    await beto.wait_for(from_bot(bot, es, carol_line), since=mark_beto)
    stack_after = await answer_to(beto, es, "!turnos")
    said = bot_messages(bot, beto, es, mark_beto)
    assert said[:-1] == [
        "Dani (MX) pidió la palabra: número 3 de la lista; sigue: Alice (US).",
        carol_line,
    ]
    assert "3. Carol (US) — turno\n4. Dani (MX) — turno" in body_of(stack_after)


# -- 3. invites: only the configured rooms, also those added while the bot was down ------------


async def test_a_room_added_to_the_configuration_is_joined_at_the_next_start(
    bot: BotRunner, rooms: RoomPair, alice: Person, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.matrix")
    committee = await alice.create_room("Committee (EN)", invite=[bot_id(bot)])
    try:
        declined = await logged(caplog, committee, alice.user_id)
        assert "not one of the configured rooms" in declined

        await bot.stop()
        with bot.config_path.open("a", encoding="utf-8") as config:
            config.write(
                f'\n[[assemblies.rooms]]\nroom = "{committee}"\nlanguage = "en"\n'
                'center = "US"\ntimezone = "America/New_York"\n'
            )
        mark = alice.mark()
        app = await bot.start()
        await alice.wait_for(lambda r, e: r == committee and joined(e, bot_id(bot)), since=mark)
        accepted = await logged(caplog, "joined", committee)
        assert alice.user_id in accepted
        token = app.client.access_token
        assert token and token not in caplog.text
    finally:
        await alice.leave(committee)


# -- 4. a mistyped setting, as the operator meets it ---------------------------------------------

GOOD = """
[matrix]
homeserver = "https://matrix.example.org"
user_id = "@asamblea:example.org"
password = "secret"
{matrix}

[bot]
{bot}

[translation]
provider = "none"
{translation}

[[assemblies]]
name = "General"
chairs = ["@ana:example.org"]
{assembly}

[[assemblies.rooms]]
room = "#en:example.org"
language = "en"
center = "US"

[[assemblies.rooms]]
room = "#es:example.org"
language = "es"
center = "MX"
"""


def check_config(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """`asamblea check-config` run as an operator runs it, on a file with `settings`."""
    values = {"matrix": "", "bot": "", "translation": "", "assembly": "", **settings}
    path = tmp_path / "config.toml"
    path.write_text(GOOD.format(**values), encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.run(
        [sys.executable, "-m", "bot", "check-config", str(path)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def test_check_config_names_every_misspelt_setting_and_the_one_meant(tmp_path: Path) -> None:
    checked = check_config(
        tmp_path,
        assembly='stak_policy = "fifo"',
        translation="timout_seconds = 5",
        matrix="encrypton = false",
        bot='comand_prefix = "?"',
    )
    assert checked.returncode == 2
    assert ": 4 problems:" in checked.stderr
    for key, meant in (
        ("assemblies[0].stak_policy", "stack_policy"),
        ("translation.timout_seconds", "timeout_seconds"),
        ("matrix.encrypton", "encryption"),
        ("bot.comand_prefix", "command_prefix"),
    ):
        assert f"  - {key}: unknown setting; did you mean {meant}?\n" in checked.stderr

    one = check_config(tmp_path, matrix="encrypton = false")
    assert one.returncode == 2
    assert ": 1 problem:\n" in one.stderr
    assert "matrix.encrypton: unknown setting; did you mean encryption?" in one.stderr

    fine = check_config(tmp_path)
    assert fine.returncode == 0, fine.stderr
