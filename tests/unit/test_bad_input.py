"""Bad input, without a homeserver: markup typed by people never reaches the rooms as markup
(names, titles, options, reasons, decisions all come out escaped), and an event that makes a
service fail leaves no half-done change behind."""

from __future__ import annotations

import pytest

from bot.domain.events import normalize
from bot.features.core import FEATURES, Core
from bot.features.shared import Shared
from bot.features.stack import stack_feature
from bot.framework.feature import Feature
from bot.framework.intakes import Intake
from bot.services.mirror import MAX_JOB_FAILURES
from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore
from tests.harness.events import said_in
from tests.harness.offline import Seats, offline_core
from tests.harness.outbox import waiting
from tests.harness.reading import as_read

EN, ES = "!english:test", "!spanish:test"
HOSTILE = '<img src=x onerror="alert(1)">'
SEATS = Seats({EN: {"@carol:test": HOSTILE, "@alice:test": "Alice"}, ES: {"@beto:test": "Beto"}})
CONFIG = {
    "matrix": {"homeserver": "http://127.0.0.1:1", "user_id": "@asamblea:test", "password": "x"},
    "translation": {"provider": "none"},
    "assemblies": [
        {
            "name": "Escaping",
            "chairs": ["@carol:test"],
            "glossary": {"keep": [HOSTILE]},
            "rooms": [
                {"room": EN, "language": "en", "center": "US"},
                {"room": ES, "language": "es", "center": "MX"},
            ],
        }
    ],
}


async def test_hostile_words_are_escaped_in_every_message_the_bot_sends() -> None:
    db = await Database.open(":memory:")
    core = offline_core(db, CONFIG, SEATS)
    script = [
        ("@carol:test", EN, f'!startmeeting "{HOSTILE}"'),
        ("@carol:test", EN, f'!item "{HOSTILE}" 10m'),
        ("@carol:test", EN, "!next"),
        ("@beto:test", ES, "!mano"),
        ("@carol:test", EN, "!stack"),
        ("@carol:test", EN, f'!poll "{HOSTILE}" "{HOSTILE} one" "two"'),
        ("@beto:test", ES, "!votar 1"),
        ("@carol:test", EN, "!close"),
        ("@carol:test", EN, f'!poll consensus "{HOSTILE}"'),
        ("@beto:test", ES, f'!votar bloquear "{HOSTILE}"'),
        ("@carol:test", EN, "!close"),
        ("@carol:test", EN, f"!agreed {HOSTILE}"),
        ("@carol:test", EN, f"!action @beto:test {HOSTILE}"),
        ("@carol:test", EN, "!endmeeting"),
    ]
    for n, (sender, room, body) in enumerate(script):
        await core.dispatcher.handle(said_in(room, n, sender, body))
    sent = [m.content for m in await waiting(RuntimeStore(db), core.delivery)]
    await db.close()
    html = [content.get("formatted_body", "") for content in sent]
    bodies = [content.get("body", "") for content in sent]
    assert len(sent) > 20
    assert sum(HOSTILE in body for body in bodies) >= 10  # the words are there, as text
    for formatted in html:
        assert "<img" not in formatted, formatted
    assert any("&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in h for h in html)


def with_a_broken_reaction_intake(db: Database) -> Core:
    """The stack's reaction intake given to a feature with a bug: it writes, then fails."""

    async def broken(event: object) -> None:
        await db.execute("INSERT INTO kv (key, value) VALUES ('half', 'done')")
        raise RuntimeError("a bug")

    def broken_feature(shared: Shared) -> Feature:
        return Feature(name="broken", intakes=((Intake.REACTION, broken),))

    features = (*(f for f in FEATURES if f is not stack_feature), broken_feature)
    return offline_core(db, CONFIG, SEATS, features=features)


async def test_a_service_that_fails_on_an_event_leaves_no_trace_and_the_bot_goes_on() -> None:
    db = await Database.open(":memory:")
    core = with_a_broken_reaction_intake(db)
    odd = normalize(
        EN,
        {
            "event_id": "$odd",
            "sender": "@alice:test",
            "type": "m.reaction",
            "origin_server_ts": 1,
            "content": {
                "m.relates_to": {"rel_type": "m.annotation", "event_id": "$x", "key": "👍"}
            },
        },
    )
    assert odd is not None
    await core.dispatcher.handle(odd)
    store = RuntimeStore(db)
    assert await store.get_value("half") is None
    assert await store.is_handled("$odd")
    await db.close()


async def test_a_failing_event_in_a_sync_leaves_no_trace_and_the_others_of_it_are_handled() -> None:
    db = await Database.open(":memory:")
    core = with_a_broken_reaction_intake(db)
    raw = {
        "sender": "@alice:test",
        "type": "m.room.message",
        "origin_server_ts": 1,
        "content": {"msgtype": "m.text", "body": "before and after"},
    }
    odd = {
        **raw,
        "type": "m.reaction",
        "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$x", "key": "👍"}},
    }
    sync = [
        normalize(EN, {**raw, "event_id": "$before"}),
        normalize(EN, {**odd, "event_id": "$odd"}),
        normalize(EN, {**raw, "event_id": "$after"}),
    ]
    await core.dispatcher.handle_all([event for event in sync if event is not None])
    store = RuntimeStore(db)
    assert await store.get_value("half") is None
    assert all([await store.is_handled(e) for e in ("$before", "$odd", "$after")])
    jobs = await db.fetch_all("SELECT source_event_id FROM mirror_jobs ORDER BY id")
    assert [row["source_event_id"] for row in jobs] == ["$before", "$after"]  # each once
    await db.close()


async def test_a_message_that_cannot_be_mirrored_is_set_aside_after_a_few_tries() -> None:
    db = await Database.open(":memory:")
    core = offline_core(db, CONFIG, SEATS)
    mirror = next(loop.__self__ for loop in core.background if loop.__name__ == "run")
    for n, body in enumerate(["poison", "hello"]):
        event = normalize(
            EN,
            {
                "event_id": f"$m{n}",
                "sender": "@alice:test",
                "type": "m.room.message",
                "origin_server_ts": n,
                "content": {"msgtype": "m.text", "body": body},
            },
        )
        assert event is not None
        await core.dispatcher.handle(event)
    real_mirror = mirror._mirror

    async def choke_on_poison(job: object, prepared: object) -> None:
        if job.source_event_id == "$m0":  # type: ignore[attr-defined]
            raise RuntimeError("cannot render this one")
        await real_mirror(job, prepared)

    mirror._mirror = choke_on_poison
    for _ in range(MAX_JOB_FAILURES - 1):
        with pytest.raises(RuntimeError):
            await mirror._drain_jobs(CONFIG["assemblies"][0]["name"])
    # The last try gives up on it, and the next message goes out.
    await mirror._drain_jobs(CONFIG["assemblies"][0]["name"])
    queued = await waiting(RuntimeStore(db), core.delivery)
    copies = [as_read(m.content.get("body", "")) for m in queued]
    assert any(body.startswith("Alice (US) [sin traducir]: hello") for body in copies)
    assert not any("poison" in body for body in copies)
    await db.close()
