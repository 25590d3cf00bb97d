"""The bot's own log, as its process writes it at DEBUG (nio included), in either format: never
its password, its access token or the translation key, whatever it logs about them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.matrix.session import ACCESS_TOKEN
from bot.storage.runtime_store import peek_values
from tests.conftest import BOT_LOCALPART, BOT_PASSWORD
from tests.harness.bot_runner import BotProcess, RoomPair
from tests.harness.matchers import copy_of
from tests.harness.person import Person
from tests.integration.conftest import joined

TRANSLATION_KEY = "translator-key-0123456789"


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_no_secret_reaches_the_log(
    bot_config: Path,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    accounts: dict,
    log_format: str,
) -> None:
    text = bot_config.read_text().replace(
        'provider = "libre"\n', f'provider = "libre"\napi_key = "{TRANSLATION_KEY}"\n'
    )
    text += f'\n[logging]\nlevel = "DEBUG"\nformat = "{log_format}"\n'
    text += '[logging.levels]\nnio = "DEBUG"\n"aiohttp" = "DEBUG"\n'
    bot_config.write_text(text)
    bot_id = accounts[BOT_LOCALPART].user_id
    process = BotProcess(bot_config)
    process.start()
    try:
        for person, room in ((alice, rooms.english), (beto, rooms.spanish)):
            await person.wait_for(lambda r, e, room=room: r == room and joined(e, bot_id), 60)
        said = await alice.send_text(rooms.english, "good morning everyone")
        await beto.wait_for(copy_of(said, rooms.spanish), timeout=60)
    finally:
        assert process.stop() == 0
    log = process.log_path.read_text(encoding="utf-8")
    token = peek_values(bot_config.parent / "asamblea.db", [ACCESS_TOKEN])[ACCESS_TOKEN]
    assert "Asamblea is serving 1 assembly" in log
    assert len(log.splitlines()) > 20  # DEBUG: there is plenty to leak from
    for secret in (BOT_PASSWORD, token, TRANSLATION_KEY):
        assert secret not in log
    if log_format == "json":
        for line in log.splitlines():
            entry = json.loads(line)
            assert {"time", "level", "logger", "message"} <= set(entry), line
