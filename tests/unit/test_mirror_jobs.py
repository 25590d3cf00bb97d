"""A message waiting to be mirrored is kept as the dispatcher normalized it, so the worker reads
it back without normalizing it again; jobs an earlier version queued (the raw event in the job)
are still mirrored after an upgrade, exactly as new ones."""

from __future__ import annotations

import base64
from typing import Any

from bot.domain.events import IncomingEvent, normalize
from bot.domain.outbox import UPLOAD_KEY, outbox_ref
from bot.storage.database import Database
from bot.storage.mirror_store import MirrorStore
from bot.storage.runtime_store import OutgoingMessage, RuntimeStore, now_ms
from tests.harness.offline import Seats, offline_core, paired_rooms_config
from tests.harness.reading import as_read

EN, ES = "!english:test", "!spanish:test"
SEATS = Seats({EN: {"@alice:test": "Alice"}, ES: {"@beto:test": "Beto"}})
ASSEMBLY = "Upgrade"
CONFIG = paired_rooms_config(ASSEMBLY, "@alice:test", EN, ES)


def said(event_id: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "sender": "@alice:test",
        "type": "m.room.message",
        "origin_server_ts": 1_700_000_000_000,
        "content": content,
        "unsigned": {"age": 12},
    }


def hello(event_id: str) -> dict[str, Any]:
    return said(event_id, {"msgtype": "m.text", "body": "hello @beto:test"})


def edit_of(event_id: str, edit_id: str) -> dict[str, Any]:
    new = {"msgtype": "m.text", "body": "hello again"}
    return said(
        edit_id,
        {
            **new,
            "body": "* hello again",
            "m.new_content": new,
            "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
        },
    )


def dispatched(raw: dict[str, Any]) -> IncomingEvent:
    event = normalize(EN, raw)
    assert event is not None
    return event


def mirrored(queued: list[OutgoingMessage], source: str) -> str:
    """What was queued for the message `source` and its edit, with the ids that differ from one
    message to another (its own, its edit's, its copy's row) put in words."""
    mine = [m for m in queued if source in repr(m.content)]
    text = repr([(m.room_id, m.purpose, m.content) for m in mine])
    text = text.replace(repr(outbox_ref(mine[0].id)), "<the copy>")
    return text.replace(f"{source}-edit", "<the edit>").replace(source, "<the message>")


async def test_a_waiting_message_keeps_the_event_as_normalized() -> None:
    db = await Database.open(":memory:")
    core = offline_core(db, CONFIG, SEATS)
    event = dispatched(hello("$new"))
    await core.dispatcher.handle(event)
    [job] = await MirrorStore(db).waiting_jobs(ASSEMBLY)
    assert job.event == event
    assert (job.speaker, job.center) == ("Alice", "US")
    [row] = await db.fetch_all("SELECT payload FROM mirror_jobs")
    assert "unsigned" not in row["payload"]  # the raw event is not kept
    await db.close()


async def test_messages_and_edits_queued_before_an_upgrade_are_mirrored_as_new_ones() -> None:
    db = await Database.open(":memory:")
    try:
        await mirror_across_an_upgrade(db)
    finally:
        await db.close()


async def mirror_across_an_upgrade(db: Database) -> None:
    core = offline_core(db, CONFIG, SEATS)
    mirror = next(loop.__self__ for loop in core.background if loop.__name__ == "run")
    store = MirrorStore(db)
    # What the previous version stored: the raw event under "event".
    for kind, raw in (("message", hello("$old")), ("edit", edit_of("$old", "$old-edit"))):
        legacy = {"event": raw, "speaker": "Alice", "center": "US"}
        await store.add_job(ASSEMBLY, raw["event_id"], EN, kind, legacy)
    await core.dispatcher.handle(dispatched(hello("$new")))
    await core.dispatcher.handle(dispatched(edit_of("$new", "$new-edit")))
    await mirror._drain_jobs(ASSEMBLY)

    queued = await RuntimeStore(db).pending(limit=100)
    assert [(m.room_id, m.purpose) for m in queued if "$old" in repr(m.content)] == [
        (ES, "mirror"),
        (ES, "mirror-edit"),
    ]
    assert mirrored(queued, "$old") == mirrored(queued, "$new")
    assert await store.waiting_jobs(ASSEMBLY) == []
    transcript = await store.transcript(ASSEMBLY, 0, 2**62)
    assert {(row.source_event_id, row.sender, row.speaker) for row in transcript} == {
        ("$old", "@alice:test", "Alice"),
        ("$new", "@alice:test", "Alice"),
    }


async def test_with_no_translator_the_copy_and_the_minutes_say_it_was_not_translated() -> None:
    """Provider `none`, as the demo runs by default: alice's English reaches the Spanish room
    marked "sin traducir", and the minutes count it untranslated, its words not reached."""
    db = await Database.open(":memory:")
    try:
        core = offline_core(db, CONFIG, SEATS)
        mirror = next(loop.__self__ for loop in core.background if loop.__name__ == "run")

        async def alice_says(event_id: str, body: str) -> None:
            raw = said(event_id, {"msgtype": "m.text", "body": body})
            await core.dispatcher.handle(dispatched({**raw, "origin_server_ts": now_ms()}))

        await alice_says("$open", "!startmeeting Lunch")
        await alice_says("$noon", "We eat at noon")
        await mirror._drain_jobs(ASSEMBLY)
        await alice_says("$end", "!endmeeting")
        await alice_says("$minutes", "!minutes")
        queued = await RuntimeStore(db).pending(limit=100)
        [copy] = [m for m in queued if m.purpose == "mirror"]
        assert (copy.room_id, as_read(copy.content["body"])) == (
            ES,
            "Alice (US) [sin traducir]: We eat at noon",
        )
        files = {
            m.content["filename"]: base64.b64decode(m.content[UPLOAD_KEY]["data"]).decode()
            for m in queued
            if m.content.get("filename", "").endswith(".md")
        }
        spanish = as_read(files["minutes-1-es.md"])
        assert "| en → es | 1 | 0 | 0 | 0 | 1 |" in spanish
        assert "No se tradujo nada durante esta reunión" in spanish
        assert "US: el 0 % de sus palabras llegó a la otra sala en su idioma (0 de 4)." in spanish
    finally:
        await db.close()
