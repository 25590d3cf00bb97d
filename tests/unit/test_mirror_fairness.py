"""Fair lanes, without a homeserver: in an assembly's mirror people take turns, so alice saying a
lot at once delays carol's message by one of hers at most, and each keeps their own order; and
alice's share of the translator runs out, so the rest of her flood is mirrored as written, with
a note in the room's language, while carol's words are still translated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.domain.events import IncomingEvent
from bot.services.mirror import MirrorWorker
from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore
from tests.harness.events import said_in
from tests.harness.libretranslate import FakeLibreTranslate
from tests.harness.offline import Seats, offline_core, paired_rooms_config
from tests.harness.reading import as_read

EN, ES = "!english:test", "!spanish:test"
SEATS = Seats({EN: {"@alice:test": "Alice", "@carol:test": "Carol"}, ES: {"@beto:test": "Beto"}})
ASSEMBLY = "Turns"


def config(translator_url: str | None = None, **translation: Any) -> dict[str, Any]:
    provider = {"provider": "libre", "url": translator_url} if translator_url else {}
    return paired_rooms_config(ASSEMBLY, "@carol:test", EN, ES, **provider, **translation)


def said(n: int, sender: str, body: str) -> IncomingEvent:
    return said_in(EN, n, sender, body, event_id=f"${sender[1:6]}{n}")


def worker_of(core: Any) -> MirrorWorker:
    return next(loop.__self__ for loop in core.background if loop.__name__ == "run")


@pytest.fixture
def translator() -> Iterator[FakeLibreTranslate]:
    with FakeLibreTranslate() as server:
        yield server


async def test_carol_waits_behind_one_of_alices_many_messages_not_all_of_them() -> None:
    db = await Database.open(":memory:")
    core = offline_core(db, config(), SEATS)
    alice = [said(n, "@alice:test", f"alice says thing {n}") for n in range(1, 7)]
    await core.dispatcher.handle_all(alice)  # one sync brings all six
    await core.dispatcher.handle(said(7, "@carol:test", "carol has one question"))
    await worker_of(core)._drain_jobs(ASSEMBLY)

    queued = await RuntimeStore(db).pending(limit=100)
    await db.close()
    copies = [m.source_event_id for m in queued if m.room_id == ES]
    assert copies == ["$alice1", "$carol7", "$alice2", "$alice3", "$alice4", "$alice5", "$alice6"]


async def test_when_alices_share_runs_out_her_words_go_as_written_and_carols_are_translated(
    translator: FakeLibreTranslate,
) -> None:
    db = await Database.open(":memory:")
    # A share of 1,000 characters a minute: two of alice's long messages, not three.
    core = offline_core(
        db, config(translator.url, max_chars=1000, chars_per_person_minute=1000), SEATS
    )
    long = "the proposal is about the house and the water for everyone " * 7  # 420 chars
    alice = [said(n, "@alice:test", f"{long}{n}") for n in range(1, 4)]
    await core.dispatcher.handle_all([*alice, said(4, "@carol:test", "hello friends")])
    await worker_of(core)._drain_jobs(ASSEMBLY)

    queued = await RuntimeStore(db).pending(limit=100)
    await db.close()
    bodies = {m.source_event_id: as_read(m.content["body"]) for m in queued if m.room_id == ES}
    note = "tal como se escribió: demasiado de golpe para traducirlo todo"
    assert "propuesta" in bodies["$alice1"] and note not in bodies["$alice1"]
    assert "propuesta" in bodies["$alice2"] and note not in bodies["$alice2"]
    assert f"Alice (US) [{note}]: {long}3" in bodies["$alice3"]
    assert bodies["$carol4"].startswith("Carol (US) [traducción automática]: hola amigos")
    # What went to the translator for alice: her first two messages, nothing of the third.
    assert sum(len(text) for text in translator.requests) < 1000
