"""Hostile commands against the whole command set: nothing escapes the router, no handler
crashes, and a refused command changes nothing.

The real router, dispatcher, command groups, services and SQLite run here; only the Matrix side
is replaced (who sits in which room, and a scheduler that is never started).
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import parse_config
from bot.domain.outcomes import Reply
from bot.features.platform import assemblies_of
from bot.storage.database import Database
from tests.harness.offline import CATALOGS, Seats, offline_core

EN, ES = "!english:test", "!spanish:test"
ALICE, BETO, CAROL = "@alice:test", "@beto:test", "@carol:test"
SEATS = {EN: {ALICE: "Alice", CAROL: "Carol"}, ES: {BETO: "Beto"}}
# Runtime bookkeeping that every message touches; the rest is the assembly's state.
BOOKKEEPING = {"outbox", "handled_events", "kv", "translation_cache", "assembly_rooms"}

RAW_CONFIG = {
    "matrix": {"homeserver": "http://127.0.0.1:1", "user_id": "@asamblea:test", "password": "x"},
    "translation": {"provider": "none"},
    "assemblies": [
        {
            "name": "Fuzz",
            "chairs": [CAROL],
            "power_level_chairs": False,
            "rooms": [
                {"room": EN, "language": "en", "center": "US"},
                {"room": ES, "language": "es", "center": "MX"},
            ],
        }
    ],
}


SEATED = Seats(SEATS)


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    tables = await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")
    state = {}
    for row in tables:
        name = row["name"]
        if name in BOOKKEEPING or name.startswith("sqlite_"):
            continue
        state[name] = [tuple(r) for r in await db.fetch_all(f"SELECT * FROM {name}")]
    return state


async def run_session(commands: list[tuple[str, str, str]]) -> None:
    db = await Database.open(":memory:")
    try:
        core = offline_core(db, RAW_CONFIG, SEATED)
        config = parse_config(RAW_CONFIG, base_dir=Path("."), environ={})
        [assembly] = assemblies_of(config, {EN: EN, ES: ES})
        assert assembly is not None
        ids = itertools.count()
        for sender, room_id, body in commands:
            before = await snapshot(db)
            async with db.transaction():
                outcomes = await core.router.route(
                    body,
                    event_id=f"$fuzz{next(ids)}",
                    sender=sender,
                    sender_name=SEATED.display_name(room_id, sender),
                    ts=1_700_000_000_000,
                    assembly=assembly,
                    room=assembly.room(room_id),
                )
            replies = [o for o in outcomes or [] if isinstance(o, Reply)]
            keys = [line.key for reply in replies for line in reply.lines]
            assert "error.bug" not in keys, (body, keys)
            if any(reply.refused for reply in replies):
                assert await snapshot(db) == before, (body, keys)
            # Every answer can be worded in both languages without a missing value.
            for reply in replies:
                for line in reply.lines:
                    CATALOGS.text("en", line)
                    CATALOGS.text("es", line)
    finally:
        await db.close()


def command_names() -> list[str]:
    """Every name the router knows, read from a real core (so new commands are fuzzed too)."""

    async def names() -> list[str]:
        db = await Database.open(":memory:")
        core = offline_core(db, RAW_CONFIG, SEATED)
        await db.close()
        return sorted(name for bound in core.router.commands for name in bound.spec.names())

    return asyncio.run(names())


NAMES = command_names()

words = st.one_of(
    st.sampled_from(
        [
            "10m",
            "1h30m",
            "0",
            "-1",
            "99999999999",
            "#1",
            "1",
            "2",
            "yes",
            "sí",
            "block",
            "consensus",
            "double",
            "secret",
            "max=3",
            "quorum=2",
            "deadline=5m",
            "weekly",
            "2030-01-01",
            "18:00",
            "MX",
            "America/Mexico_City",
            ALICE,
            BETO,
            "@nobody:test",
            "fifo",
            "alternate",
            "off",
            '"',
            "«",
            "»",
            "<script>alert(1)</script>",
            "\u202e",
            "🖐️",
            "✋🏽",
            "\x00",
            "a" * 300,
        ]
    ),
    st.text(max_size=20),
)
command_line = st.builds(
    lambda name, args, quoted: (
        "!" + name + " " + " ".join(f'"{a}"' if quoted and " " not in a else a for a in args)
    ),
    st.one_of(st.sampled_from(NAMES), st.text(min_size=1, max_size=8)),
    st.lists(words, max_size=6),
    st.booleans(),
)
turn = st.tuples(
    st.sampled_from([(ALICE, EN), (BETO, ES), (CAROL, EN), (CAROL, EN)]), command_line
).map(lambda pair: (pair[0][0], pair[0][1], pair[1]))
# Sessions usually begin with a meeting, so that meeting commands get past "no meeting".
session = st.lists(turn, min_size=1, max_size=8).map(
    lambda turns: [(CAROL, EN, '!startmeeting "Fuzz"'), *turns]
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(commands=session)
def test_no_command_crashes_and_a_refused_one_changes_nothing(
    commands: list[tuple[str, str, str]],
) -> None:
    asyncio.run(run_session(commands))
