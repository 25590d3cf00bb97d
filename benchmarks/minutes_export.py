"""A recorded meeting of many messages, made through the bot's own pipeline, then its minutes.

The meeting is recorded by the real dispatcher, command handlers, mirroring worker and SQLite
(translation provider "none"; people and rooms are given, not a homeserver), then exported with
the same command line an operator uses: `asamblea minutes ... --transcript`.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.cli import main as asamblea
from bot.domain.events import normalize
from bot.storage.database import Database
from tests.harness.offline import Seats, offline_core

EN, ES = "!english:bench", "!spanish:bench"
SEATS = {EN: {"@alice:bench": "Alice", "@carol:bench": "Carol"}, ES: {"@beto:bench": "Beto"}}
CONFIG = {
    "matrix": {"homeserver": "http://127.0.0.1:1", "user_id": "@asamblea:bench", "password": "x"},
    "translation": {"provider": "none"},
    "assemblies": [
        {
            "name": "Bench",
            "chairs": ["@carol:bench"],
            "rooms": [
                {"room": EN, "language": "en", "center": "US", "timezone": "America/New_York"},
                {"room": ES, "language": "es", "center": "MX", "timezone": "America/Mexico_City"},
            ],
        }
    ],
}


async def record_meeting(database: Path, messages: int) -> None:
    db = await Database.open(database)
    core = offline_core(db, CONFIG, Seats(SEATS))
    stop = asyncio.Event()
    workers = [asyncio.create_task(loop(stop)) for loop in core.background]
    clock = 1_700_000_000_000
    script = [
        ("@carol:bench", EN, '!startmeeting "Budget assembly"'),
        ("@carol:bench", EN, "!item Budget 20m"),
        ("@carol:bench", EN, "!next"),
        ("@beto:bench", ES, "!mano"),
        ("@alice:bench", EN, "!hand"),
        ("@carol:bench", EN, "!call"),
        ("@carol:bench", EN, "!agreed We meet monthly"),
    ]
    speakers = [
        ("@alice:bench", EN, "hello everyone, about the budget"),
        ("@beto:bench", ES, "buenas tardes, sobre el presupuesto"),
    ]
    script += [(*speakers[n % 2][:2], f"{speakers[n % 2][2]} {n}") for n in range(messages)]
    script += [("@carol:bench", EN, "!call"), ("@carol:bench", EN, "!endmeeting")]
    for n, (sender, room, body) in enumerate(script):
        clock += 1000
        raw = {
            "event_id": f"$bench{n}",
            "sender": sender,
            "type": "m.room.message",
            "origin_server_ts": clock,
            "content": {"msgtype": "m.text", "body": body},
        }
        event = normalize(room, raw)
        assert event is not None
        await core.dispatcher.handle(event)
    while await db.fetch_one("SELECT 1 FROM mirror_jobs WHERE done_at IS NULL"):
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*workers)
    await core.close()
    await db.close()


def export_seconds(database: Path, out: Path) -> float:
    started = time.perf_counter()
    code = asamblea(
        [
            "minutes",
            "--database",
            str(database),
            "--meeting",
            "1",
            "--format",
            "html",
            "--lang",
            "both",
            "--transcript",
            "-o",
            str(out),
        ]
    )
    if code != 0:
        raise RuntimeError(f"asamblea minutes exited with {code}")
    return time.perf_counter() - started
