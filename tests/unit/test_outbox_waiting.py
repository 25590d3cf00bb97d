"""`!status` tells of messages that have waited long in the outbox: a chat that cannot take them
yet (an encrypted chat nobody else has joined) holds its messages rather than send them in the
clear, and the chairs should know something is waiting."""

from __future__ import annotations

from pathlib import Path

from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyRoom
from bot.i18n import Catalogs
from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore, now_ms
from tests.harness.fakes import Seats

EN = AssemblyRoom("!en:x", "en", "US", "America/New_York")
ES = AssemblyRoom("!es:x", "es", "MX", "America/Mexico_City")
ASSEMBLY = Assembly("Asamblea", (EN, ES), chairs=("@carol:x",))


async def test_status_counts_messages_held_back_longer_than_a_burst_takes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "outbox.db")
    try:
        store = RuntimeStore(db)
        catalogs = Catalogs.load_default()
        delivery = Delivery(store, catalogs, Seats({}), lambda: None)
        await store.enqueue("!chat:x", "m.room.message", {"body": "ballot"}, txn_id="t-old")
        await store.enqueue("!en:x", "m.room.message", {"body": "copy"}, txn_id="t-new")
        assert await delivery.status(ASSEMBLY) == []  # a burst being sent is not "waiting"
        await db.execute(
            "UPDATE outbox SET created_at = ? WHERE txn_id = 't-old'", (now_ms() - 60_000,)
        )
        [line] = await delivery.status(ASSEMBLY)
        assert "waiting to be sent for more than 30 s: 1" in catalogs.text("en", line)
        assert "esperan más de 30 s para enviarse: 1" in catalogs.text("es", line)
    finally:
        await db.close()
