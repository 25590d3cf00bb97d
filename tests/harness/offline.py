"""The whole assembly logic without a homeserver: real router, dispatcher, command groups,
services and SQLite; the Matrix side is replaced by given seats (who sits in which room) and a
scheduler that is never started. For fuzzing and benchmarks of the logic itself."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import Core, Platform, Tuning, assemblies_of, build_core
from bot.config import parse_config
from bot.domain.assembly import AssemblyDirectory
from bot.i18n import Catalogs
from bot.services.delivery import Delivery
from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore

CATALOGS = Catalogs.load_default()


class Seats:
    """Who sits in which room, with their display names."""

    def __init__(self, seats: Mapping[str, Mapping[str, str]]) -> None:
        self._seats = seats

    def display_name(self, room_id: str, user_id: str) -> str:
        return self._seats.get(room_id, {}).get(user_id, user_id)

    def is_member(self, room_id: str, user_id: str) -> bool:
        return user_id in self._seats.get(room_id, {})

    def power_level(self, room_id: str, user_id: str) -> int:
        return 0


async def _ready() -> None:
    return None


def offline_core(db: Database, raw_config: dict[str, Any], seats: Seats) -> Core:
    """`raw_config` is a configuration as TOML would give it; its rooms must be room ids."""
    config = parse_config(raw_config, base_dir=Path("."), environ={})
    rooms = {room.room: room.room for a in config.assemblies for room in a.rooms}
    store = RuntimeStore(db)
    return build_core(
        Platform(
            config=config,
            tuning=Tuning(),
            catalogs=CATALOGS,
            db=db,
            runtime_store=store,
            delivery=Delivery(store, CATALOGS, seats, lambda: None),
            members=seats,
            directory=AssemblyDirectory(assemblies_of(config, rooms)),
            scheduler=AsyncIOScheduler(),
            ready=_ready,
        )
    )
