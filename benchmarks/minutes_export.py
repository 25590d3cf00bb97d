"""A recorded meeting of many messages, made through the bot's own pipeline, then its minutes.

The meeting is recorded by the real dispatcher, command handlers, mirroring worker and SQLite
(translation provider "none"; people and rooms are given, not a homeserver), then exported with
the same command line an operator uses: `asamblea minutes ... --transcript`.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import Platform, Tuning, assemblies_of, build_core
from bot.cli import main as asamblea
from bot.config import parse_config
from bot.domain.assembly import AssemblyDirectory
from bot.i18n import Catalogs
from bot.matrix.events import normalize
from bot.services.delivery import Delivery
from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore

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


class Seats:
    def display_name(self, room_id: str, user_id: str) -> str:
        return SEATS.get(room_id, {}).get(user_id, user_id)

    def is_member(self, room_id: str, user_id: str) -> bool:
        return user_id in SEATS.get(room_id, {})

    def power_level(self, room_id: str, user_id: str) -> int:
        return 0


async def ready() -> None:
    return None


async def record_meeting(database: Path, messages: int) -> None:
    config = parse_config(CONFIG, base_dir=database.parent, environ={})
    catalogs = Catalogs.load_default()
    db = await Database.open(database)
    store = RuntimeStore(db)
    seats = Seats()
    core = build_core(
        Platform(
            config=config,
            tuning=Tuning(),
            catalogs=catalogs,
            db=db,
            runtime_store=store,
            delivery=Delivery(store, catalogs, seats, lambda: None),
            members=seats,
            directory=AssemblyDirectory(assemblies_of(config, {EN: EN, ES: ES})),
            scheduler=AsyncIOScheduler(),
            ready=ready,
        )
    )
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
