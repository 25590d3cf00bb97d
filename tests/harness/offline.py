"""The whole assembly logic without a homeserver: real router, dispatcher, command groups,
services and SQLite; the Matrix side is replaced by given seats (who sits in which room) and a
scheduler that is never started, or a fake one whose jobs the test runs. For fuzzing,
benchmarks and meetings told command by command."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import parse_config
from bot.delivery import Delivery, QuickTranslator
from bot.domain.assembly import AssemblyDirectory
from bot.features.core import FEATURES, Core, build_core
from bot.features.platform import Platform, Tuning, assemblies_of, translation_of
from bot.features.shared import Shared
from bot.framework.feature import Feature
from bot.i18n import Catalogs
from bot.services.timers import utc_now
from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore
from tests.harness.fakes import Scheduler, Seats

__all__ = ["CATALOGS", "Seats", "offline_core", "paired_rooms_config"]

CATALOGS = Catalogs.load_default()


# A homeserver nobody answers at: the offline core never reaches it.
OFFLINE_MATRIX = {"homeserver": "http://127.0.0.1:1", "user_id": "@asamblea:test", "password": "x"}


def paired_rooms_config(
    assembly: str, chair: str, english: str, spanish: str, **translation: Any
) -> dict[str, Any]:
    """The configuration of one assembly in an English room (US) and a Spanish one (MX), with
    one standing chair, and no translator unless `translation` names one."""
    return {
        "matrix": {
            "homeserver": "http://127.0.0.1:1",
            "user_id": "@asamblea:test",
            "password": "x",
        },
        "translation": {"provider": "none", **translation},
        "assemblies": [
            {
                "name": assembly,
                "chairs": [chair],
                "rooms": [
                    {"room": english, "language": "en", "center": "US"},
                    {"room": spanish, "language": "es", "center": "MX"},
                ],
            }
        ],
    }


async def _ready() -> None:
    return None


def offline_core(
    db: Database,
    raw_config: dict[str, Any],
    seats: Seats,
    scheduler: Scheduler | None = None,
    clock: Callable[[], datetime] = utc_now,
    texts: QuickTranslator | None = None,
    features: Sequence[Callable[[Shared], Feature]] = FEATURES,
) -> Core:
    """`raw_config` is a configuration as TOML would give it; its rooms must be room ids.

    Without `scheduler`, timers go to an APScheduler that is never started; `clock` is "now"
    for timers, reminders and meetings (a fake `Clock`'s `utc`, say). `texts` stands in for the
    translation gateway where the bot's own messages quote people's words.
    """
    config = parse_config(raw_config, base_dir=Path("."), environ={})
    rooms = {room.room: room.room for a in config.assemblies for room in a.rooms}
    store = RuntimeStore(db)
    translation = translation_of(config, db, Tuning())
    return build_core(
        Platform(
            config=config,
            tuning=Tuning(),
            catalogs=CATALOGS,
            db=db,
            runtime_store=store,
            delivery=Delivery(
                store, CATALOGS, seats, lambda: None, texts=texts or translation.gateway
            ),
            translation=translation,
            members=seats,
            directory=AssemblyDirectory(assemblies_of(config, rooms)),
            scheduler=scheduler if scheduler is not None else AsyncIOScheduler(),
            ready=_ready,
            clock=clock,
        ),
        features,
    )
