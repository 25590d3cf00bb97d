"""A message costs the bot about what it costs the homeserver: every SQLite statement is a round
trip to the database's thread, so the statements one mirrored message costs are counted and held
to a budget, from the handling of the event (its mark, its mirror job) to its copy queued in the
outbox with its record (the worker's job and copy writes), BEGIN and COMMIT included.

Not counted here: the sender's mark once a copy has left (one statement a copy, and one read of
the room's outbox a wake), which the benchmark counts with the rest in the running bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.domain.events import IncomingEvent
from bot.features.core import Core
from bot.services.mirror import MirrorWorker
from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore
from tests.harness.events import said_in
from tests.harness.offline import Seats, offline_core, paired_rooms_config

EN, ES = "!english:test", "!spanish:test"
SEATS = Seats(
    {
        EN: {"@alice:test": "Alice", "@carol:test": "Carol", "@asamblea:test": "Asamblea"},
        ES: {"@beto:test": "Beto", "@asamblea:test": "Asamblea"},
    }
)
ASSEMBLY = "Budget"
CONFIG = paired_rooms_config(ASSEMBLY, "@carol:test", EN, ES)


PER_MIRRORED_MESSAGE = 8
PER_EVENT_THAT_NEEDS_NOTHING = 3


def event(n: int, sender: str = "@alice:test", room: str = EN, **fields: Any) -> IncomingEvent:
    said = f"punto número {n} de la propuesta" if room == ES else f"point {n} of the proposal"
    return said_in(room, n, sender, said, **fields)


class Meeting:
    def __init__(self, db: Database, core: Core) -> None:
        self.db = db
        self.core = core
        self.mirror: MirrorWorker = next(
            loop.__self__ for loop in core.background if loop.__name__ == "run"
        )

    async def statements_for(self, *events: IncomingEvent) -> int:
        """What handling these events as one sync, then mirroring them, costs."""
        before = self.db.statements
        await self.core.dispatcher.handle_all(list(events))
        await self.mirror._drain_jobs(ASSEMBLY)
        return self.db.statements - before


@pytest.fixture
async def meeting() -> AsyncIterator[Meeting]:
    db = await Database.open(":memory:")
    core = offline_core(db, CONFIG, SEATS)
    found = Meeting(db, core)
    # The first message reads once what every later one finds in memory (the lane's waiting
    # jobs, whether mirroring is paused, whether a meeting is open).
    await found.statements_for(event(0))
    yield found
    await db.close()


async def test_alice_says_ten_things_and_each_costs_at_most_eight_statements(
    meeting: Meeting,
) -> None:
    spent = [await meeting.statements_for(event(n)) for n in range(1, 11)]
    assert max(spent) <= PER_MIRRORED_MESSAGE, spent
    queued = await RuntimeStore(meeting.db).pending(limit=100)
    assert [m.room_id for m in queued] == [ES] * 11  # every message has its copy


async def test_a_change_of_topic_costs_at_most_three(meeting: Meeting) -> None:
    topic = event(1, type="m.room.topic", state_key="", content={"topic": "Budget"})
    assert await meeting.statements_for(topic) <= PER_EVENT_THAT_NEEDS_NOTHING


async def test_the_bots_own_copy_coming_back_costs_nothing(meeting: Meeting) -> None:
    assert await meeting.statements_for(event(1, sender="@asamblea:test", room=ES)) == 0


async def test_a_sync_with_several_messages_shares_its_transaction(meeting: Meeting) -> None:
    said = [event(1), event(2, "@beto:test", ES), event(3, "@carol:test"), event(4)]
    spent = await meeting.statements_for(*said)
    # One transaction marks and queues the four; each then costs its copy's four.
    assert spent <= 3 + len(said) + 4 * len(said), spent
    queued = await RuntimeStore(meeting.db).pending(limit=100)
    assert len(queued) == 5


def command(n: int, sender: str, body: str) -> IncomingEvent:
    return said_in(EN, n, sender, body)


async def test_during_a_meeting_the_speakers_words_cost_one_more_and_others_none(
    meeting: Meeting,
) -> None:
    """A meeting open and alice holding the floor: her message also notes when she last spoke
    (one statement); carol's costs what it costs outside a meeting once she is marked present."""
    await meeting.statements_for(command(101, "@carol:test", "!startmeeting Budget"))
    await meeting.statements_for(command(102, "@alice:test", "!hand"))
    await meeting.statements_for(command(103, "@carol:test", "!call"))
    await meeting.statements_for(event(104, "@carol:test"))  # carol is marked present once
    alice = [await meeting.statements_for(event(n)) for n in range(105, 110)]
    carol = [await meeting.statements_for(event(n, "@carol:test")) for n in range(110, 115)]
    assert max(alice) <= PER_MIRRORED_MESSAGE + 1, alice
    assert max(carol) <= PER_MIRRORED_MESSAGE, carol
    speaking = await meeting.db.fetch_one("SELECT last_word_at FROM turns WHERE ended_at IS NULL")
    assert speaking is not None and speaking["last_word_at"] is not None
