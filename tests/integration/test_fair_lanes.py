"""Fair lanes on the real homeserver: alice floods the English room with forty long messages in
a little over a second; carol, in the same room, says one thing in the middle of it. People take
turns in the mirror, so carol's copy reaches the Spanish room within one translation of alice's
(plus a second) on top of her own, not behind the whole flood; each keeps their own order, and
nothing is lost. alice's share of the translator runs out: the rest of her flood is mirrored as
written, with a note, and never reaches the translator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.libretranslate import FakeLibreTranslate
from tests.harness.matchers import copy_of
from tests.harness.person import Person, body_of
from tests.integration.test_faults import copies_in

FLOOD = 40
LONG = 2100  # characters: more than the translator is sent of one message (2000)
TRANSLATION_SECONDS = 0.5
NOTE = "tal como se escribió: demasiado de golpe para traducirlo todo"


@pytest.fixture
def slow_translator(translator: FakeLibreTranslate) -> Iterator[FakeLibreTranslate]:
    translator.delay_seconds = TRANSLATION_SECONDS
    yield translator
    translator.delay_seconds = 0.0


def flood_line(n: int) -> str:
    words = f"alice floods the assembly with line {n} "
    return (words * (LONG // len(words) + 1))[:LONG]


async def test_carol_is_not_held_behind_alices_flood(
    bot: BotRunner,
    slow_translator: FakeLibreTranslate,
    rooms: RoomPair,
    alice: Person,
    carol: Person,
    beto: Person,
) -> None:
    async def flood() -> list[str]:
        said = []
        for n in range(FLOOD):
            said.append(await alice.send_text(rooms.english, flood_line(n)))
            await asyncio.sleep(0.03)
        return said

    flooding = asyncio.create_task(flood())
    await asyncio.sleep(0.6)  # alice is about halfway through
    started = time.monotonic()
    carols = await carol.send_text(rooms.english, "hello friends")
    copy = await beto.wait_for(copy_of(carols, rooms.spanish), timeout=30)
    waited = time.monotonic() - started
    assert "hola amigos" in (body_of(copy) or "")
    # Her own translation, one of alice's at most before it, and a second.
    assert waited <= 2 * TRANSLATION_SECONDS + 1.0, f"carol's copy took {waited:.1f} s"

    alices = await flooding
    await beto.wait_for(copy_of(alices[-1], rooms.spanish), timeout=60)
    order = copies_in(beto, rooms.spanish, [*alices, carols])
    assert sorted(order) == list(range(FLOOD + 1)), "a copy was lost or repeated"
    mine = [n for n in order if n < FLOOD]
    assert mine == sorted(mine), "alice's copies left her order"
    assert order.index(FLOOD) < FLOOD // 2 + 10, "carol waited behind the flood"

    # Her share of the translator (6000 characters a minute) took three of her messages; the
    # rest went as written, with the note, and never reached the translator.
    translated = [text for text in slow_translator.requests if "alice floods" in text]
    assert len(translated) <= 3
    bodies = [body_of(e) or "" for r, e in beto.events if r == rooms.spanish]
    assert sum(NOTE in body for body in bodies) >= FLOOD - 3
