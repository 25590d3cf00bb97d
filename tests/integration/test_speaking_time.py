"""Speaking time on the real homeserver: what was seen of each turn, not the silence after it.

carol chairs from the English room; alice (English room) and beto (Spanish room) raise their
hands. The bot's clock is a TimeMachine, so a turn lasts minutes without the test waiting for
them; the machine's clock runs on with the wall clock, so each length is known to a few seconds.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.matchers import bot_says as says
from tests.harness.matchers import copy_of, reaction_to
from tests.harness.person import Person, body_of
from tests.harness.time_machine import TimeMachine
from tests.integration.test_records import a_file, download

# The wall clock runs on while the homeserver and the bot pass the messages along.
SLACK = 10


@pytest.fixture
def time_machine() -> TimeMachine:
    return TimeMachine()


def seconds_in(text: str) -> int:
    """`1 min 15 s`, `50 s`, `2 min` as seconds."""
    found = re.fullmatch(r"(?:(\d+) min)? ?(?:(\d+) s)?", text.strip())
    assert found is not None and any(found.groups()), text
    minutes, seconds = (int(part) if part else 0 for part in found.groups())
    return minutes * 60 + seconds


def later(machine: TimeMachine, **length: float) -> None:
    machine.move_to(machine.now() + timedelta(**length))


async def test_a_turn_counts_until_the_speaker_is_done_not_until_the_next_call(
    bot: BotRunner,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    carol: Person,
    time_machine: TimeMachine,
) -> None:
    en, es = rooms.english, rooms.spanish
    await carol.send_text(en, "!startmeeting Lunch")
    await alice.wait_for(says(bot, en, "Meeting started"))
    await alice.send_text(en, "!hand")
    await alice.wait_for(says(bot, en, "Alice (US) raised a hand"))
    await beto.send_text(es, "!mano")
    await alice.wait_for(says(bot, en, "Beto (MX) raised a hand"))

    # Alice has the floor, says one sentence a minute in, and says she is done 15 s later.
    await carol.send_text(en, "!call")
    await alice.wait_for(says(bot, en, "Alice (US) has the floor."))
    later(time_machine, minutes=1)
    said = await alice.send_text(en, "we could eat at noon")
    await beto.wait_for(copy_of(said, es))  # the bot has read it
    later(time_machine, seconds=15)
    await alice.send_text(en, "!done")
    done = body_of(await beto.wait_for(says(bot, es, "Alice (US) terminó de hablar")))
    measured = re.search(r"tiempo de palabra: ([^)]+)\)", done)
    assert measured is not None, done
    alice_spoke = seconds_in(measured.group(1))
    assert 75 <= alice_spoke <= 75 + SLACK

    # Ten silent minutes belong to nobody; then Beto says one sentence and goes quiet for ten
    # more, until the meeting ends: his turn is his sentence and a short grace.
    later(time_machine, minutes=10)
    await carol.send_text(en, "!call")
    await beto.wait_for(says(bot, es, "Beto (MX) tiene la palabra."))
    later(time_machine, seconds=20)
    said = await beto.send_text(es, "buenas tardes a todos")
    await alice.wait_for(copy_of(said, en))
    later(time_machine, minutes=10)
    await carol.send_text(en, "!endmeeting")
    ended = body_of(await alice.wait_for(says(bot, en, "Meeting ended: Lunch")))
    told = dict(re.findall(r"(US|MX): present \d+, turns 1, speaking time ([^.]+)\.", ended))
    assert seconds_in(told["US"]) == alice_spoke, ended
    beto_spoke = seconds_in(told["MX"])
    assert 50 <= beto_spoke <= 50 + SLACK, ended

    # The minutes count the same, and say how.
    assert bot.app is not None and bot.app.db is not None
    meeting = (await bot.app.db.fetch_one("SELECT max(id) AS id FROM meetings"))["id"]
    asked = await alice.send_text(en, "!minutes")
    await alice.wait_for(reaction_to(asked, "📄"))
    minutes = await download(alice, await alice.wait_for(a_file(en, f"minutes-{meeting}-en.md")))
    statistics = minutes.split("## Speaking statistics")[1].split("\n## ")[0]
    assert f"| Speaking time | {told['US']} | {told['MX']} |" in statistics
    assert f"| Alice | US | 1 | {told['US']} |" in statistics
    assert f"| Beto | MX | 1 | {told['MX']} |" in statistics
    assert "- The speaker said they were done: 1" in statistics
    assert "- Their last message in the rooms, plus 30 s: 1" in statistics
