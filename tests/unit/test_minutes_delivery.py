"""Reminders and minutes files leave through the outbox: once each, also across restarts.

The services run on a real SQLite database with a fake scheduler, clock and Matrix client.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyDirectory, AssemblyRoom
from bot.domain.minutes import MinutesData, WrittenText
from bot.domain.outbox import UPLOAD, UPLOAD_KEY, upload_content
from bot.domain.schedule import Recurrence
from bot.i18n import Catalogs
from bot.matrix.sender import OutboxSender
from bot.services.decisions import Author
from bot.services.reminders import Reminders
from bot.services.timers import Timers
from bot.storage.database import Database
from bot.storage.decisions_store import DecisionsStore, LogRecord
from bot.storage.reminders_store import RemindersStore
from bot.storage.rooms_store import AssemblyRoomsStore
from bot.storage.runtime_store import RuntimeStore
from bot.storage.schedules_store import SchedulesStore
from tests.harness.fakes import Clock, FakeClient, Scheduler, Seats
from tests.harness.outbox import waiting
from tests.harness.reading import as_read
from tests.unit.test_minutes import minutes

EN = AssemblyRoom("!en:x", "en", "US", "America/New_York")
ES = AssemblyRoom("!es:x", "es", "MX", "America/Mexico_City")
ASSEMBLY = Assembly("General", (EN, ES))


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    database = await Database.open(":memory:")
    try:
        yield database
    finally:
        await database.close()


SEATS = Seats({"!en:x": {"@carol:x": "Carol"}, "!es:x": {"@beto:x": "Beto"}})


@dataclass(frozen=True)
class Stores:
    decisions: DecisionsStore
    sent: RemindersStore


async def bot_parts(db: Database, clock: Clock) -> tuple[Reminders, Scheduler, Stores]:
    """What the app builds at start-up: a fresh scheduler and services on the same database."""
    scheduler = Scheduler()
    stores = Stores(DecisionsStore(db), RemindersStore(db))
    delivery = Delivery(RuntimeStore(db), Catalogs.load_default(), SEATS, lambda: None)
    reminders = Reminders(
        timers=Timers(scheduler, db.transaction, wake=delivery.wake, clock=clock.utc),
        schedules=SchedulesStore(db),
        sent=stores.sent,
        decisions=stores.decisions,
        rooms=AssemblyRoomsStore(db),
        delivery=delivery,
        directory=AssemblyDirectory((ASSEMBLY,)),
        offsets={"General": (3600, 600)},
        prefix="!",
    )
    await reminders.restore()
    return reminders, scheduler, stores


async def outbox(db: Database) -> list[tuple[str, str]]:
    """What the outbox holds, each message finished as the sender finishes it."""
    store = RuntimeStore(db)
    delivery = Delivery(store, Catalogs.load_default(), SEATS, lambda: None)
    return [
        (m.room_id, as_read(json.dumps(m.content, ensure_ascii=False)))
        for m in await waiting(store, delivery)
    ]


async def test_reminders_are_sent_once_across_a_restart_and_late_ones_are_judged(
    db: Database,
) -> None:
    clock = Clock(datetime(2025, 3, 10, 12, 0, tzinfo=UTC))
    reminders, scheduler, _ = await bot_parts(db, clock)
    author = Author("@carol:x", "Carol", EN, "$schedule", 0)
    await reminders.add(
        ASSEMBLY,
        author,
        day=date(2025, 3, 10),
        at=datetime(2025, 3, 10, 18, 0).time(),
        zone="America/New_York",
        title="Budget assembly",
        recurrence=Recurrence.WEEKLY,
    )
    await scheduler.run_due(clock.utc())
    start = datetime(2025, 3, 10, 22, 0, tzinfo=UTC)  # 18:00 EDT
    assert scheduler.jobs["schedule:1"].run_date == start - timedelta(hours=1)

    clock.set(start - timedelta(hours=1))
    await scheduler.run_due(clock.utc())
    sent = await outbox(db)
    assert [room for room, _ in sent] == ["!en:x", "!es:x"]
    assert "starts in 1 h:" in sent[0][1] and "18:00 New York / 16:00 Mexico City" in sent[0][1]
    assert "empieza en 1 h:" in sent[1][1]
    # A meeting coming is news for everyone: a message, not a notice, naming nobody.
    assert all('"msgtype": "m.text"' in content for _, content in sent)
    assert all('"m.mentions": {}' in content for _, content in sent)
    assert "16:00 Ciudad de México / 18:00 Nueva York" in sent[1][1]

    # A restart rebuilds the job; running it again at the same moment sends nothing new.
    reminders, scheduler, stores = await bot_parts(db, clock)
    await scheduler.run_due(clock.utc())
    assert len(await outbox(db)) == 2

    # The bot is down through the 10-minute reminder and back 4 minutes late: still useful.
    clock.set(start - timedelta(minutes=6))
    reminders, scheduler, stores = await bot_parts(db, clock)
    await scheduler.run_due(clock.utc())
    sent = await outbox(db)
    assert len(sent) == 4 and "starts in 6 min:" in sent[2][1]

    # Next week's reminders come while the bot is down; it returns after that meeting began.
    clock.set(start + timedelta(days=7, minutes=5))
    reminders, scheduler, stores = await bot_parts(db, clock)
    await scheduler.run_due(clock.utc())
    assert len(await outbox(db)) == 4
    outcomes = await stores.sent.reminder_outcomes("meeting", 1)
    assert [o for *_, o in outcomes] == ["sent", "sent", "skipped", "skipped"]
    # Still 18:00 in New York the week after (EDT): the job waits for that meeting's reminder.
    assert scheduler.jobs["schedule:1"].run_date == start + timedelta(days=14, hours=-1)


async def test_an_action_item_reminds_its_owner_on_the_morning_it_is_due(db: Database) -> None:
    clock = Clock(datetime(2025, 3, 9, 12, 0, tzinfo=UTC))
    reminders, scheduler, stores = await bot_parts(db, clock)
    entry_id = await stores.decisions.add_entry(
        LogRecord(
            assembly="General",
            meeting_id=None,
            agenda_item_id=None,
            kind="action",
            text="llamar al salón",
            language="es",
            translations={"en": "call the hall"},
            author="@carol:x",
            author_name="Carol",
            author_center="US",
            room_id="!en:x",
            source_event_id="$action",
            created_at=0,
            owner="@beto:x",
            owner_name="Beto",
            owner_center="MX",
            due=date(2025, 3, 10),
        )
    )
    entry = await stores.decisions.entry(entry_id)
    assert entry is not None
    reminders.watch_action(entry)
    # 09:00 in Mexico City, the owner's center.
    assert scheduler.jobs[f"action:{entry_id}"].run_date == datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
    clock.set(datetime(2025, 3, 10, 15, 0, tzinfo=UTC))
    await scheduler.run_due(clock.utc())
    [(room, content)] = await outbox(db)
    assert room == "!es:x" and "Beto (MX), un recordatorio: la tarea #1 vence hoy" in content
    assert '"user_ids": ["@beto:x"]' in content and '"msgtype": "m.text"' in content
    # Restarted, nothing is left to remind.
    reminders, scheduler, stores = await bot_parts(db, clock)
    assert scheduler.jobs == {}


async def test_a_file_in_the_outbox_is_uploaded_then_posted_as_m_file(db: Database) -> None:
    store = RuntimeStore(db)
    data = "# Acta <b> ñ\n".encode()
    content = upload_content(data, "minutes-1-es.md", "text/markdown; charset=utf-8")
    assert base64.b64decode(content[UPLOAD_KEY]["data"]) == data
    await store.enqueue("!es:x", UPLOAD, content, txn_id="asamblea-minutes-1")
    client = FakeClient.in_rooms(["!es:x"])
    sender = OutboxSender(client, store)  # type: ignore[arg-type]
    assert await sender.flush(asyncio.Event())
    assert client.uploaded == [(data, "text/markdown; charset=utf-8", "minutes-1-es.md", len(data))]
    [(room, event_type, posted, txn)] = client.sent
    assert (room, event_type, txn) == ("!es:x", "m.room.message", "asamblea-minutes-1")
    assert posted["msgtype"] == "m.file" and posted["url"] == "mxc://x/minutes"
    assert posted["info"] == {"mimetype": "text/markdown; charset=utf-8", "size": len(data)}
    assert UPLOAD_KEY not in posted
    assert await store.pending() == []


async def test_unchanged_minutes_are_posted_again_from_the_earlier_upload(db: Database) -> None:
    store = RuntimeStore(db)
    client = FakeClient.in_rooms(["!en:x"])
    sender = OutboxSender(client, store)  # type: ignore[arg-type]

    async def post(text: str, cause: str) -> None:
        content = upload_content(
            text.encode(),
            "minutes-1-en.md",
            "text/markdown",
            reuse_key="minutes:1:!en:x:md",
            fingerprint=str(hash(text)),
        )
        await store.enqueue("!en:x", UPLOAD, content, txn_id=cause)
        assert await sender.flush(asyncio.Event())

    await post("# Minutes", "first")
    await post("# Minutes", "second")
    assert len(client.uploaded) == 1
    assert [sent[2]["url"] for sent in client.sent] == ["mxc://x/minutes"] * 2
    await post("# Minutes, amended", "third")
    assert len(client.uploaded) == 2
    rows = await db.fetch_all("SELECT content FROM outbox")
    assert {row["content"] for row in rows} == {"{}"}  # no file kept once posted


async def test_minutes_made_again_later_of_an_unchanged_meeting_are_told_apart_only_by_their_stamp(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `!minutes` of the same meeting a minute apart: each room's files differ only in their
    "made at" stamp, so they carry the same fingerprint and the second is posted from the first
    upload; minutes that say something new are uploaded anew."""
    delivery = Delivery(RuntimeStore(db), Catalogs.load_default(), SEATS, lambda: None)
    stamps = iter(["2025-03-10 12:00 UTC", "2025-03-10 12:01 UTC", "2025-03-10 12:02 UTC"])
    monkeypatch.setattr("bot.delivery.generated_stamp", lambda: next(stamps))

    async def reuse_marks(data: MinutesData, cause: str) -> dict[str, str]:
        before = await db.fetch_all("SELECT id FROM outbox")
        names = await delivery.queue_minutes(ASSEMBLY, data, cause=cause)
        assert names == [
            "minutes-7-en.md",
            "minutes-7-en.html",
            "minutes-7-es.md",
            "minutes-7-es.html",
        ]
        rows = await db.fetch_all(
            "SELECT event_type, content FROM outbox WHERE id > ? ORDER BY id",
            (max((row["id"] for row in before), default=0),),
        )
        assert {row["event_type"] for row in rows} == {UPLOAD}
        uploads = [json.loads(row["content"])[UPLOAD_KEY] for row in rows]
        return {mark["reuse"]["key"]: mark["reuse"]["fingerprint"] for mark in uploads}

    first = await reuse_marks(minutes(), "minutes:$first")
    second = await reuse_marks(minutes(), "minutes:$second")
    assert sorted(first) == [
        "minutes:7:!en:x:html",
        "minutes:7:!en:x:md",
        "minutes:7:!es:x:html",
        "minutes:7:!es:x:md",
    ]
    assert second == first
    amended = minutes(title=WrittenText("Budget meeting", "en", {"es": "Reunión de presupuesto"}))
    changed = await reuse_marks(amended, "minutes:$third")
    assert all(changed[key] != first[key] for key in first)
