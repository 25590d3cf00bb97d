"""The one place where Asamblea's parts are built and wired together: the Matrix side, the
platform every feature is built from, and the features themselves (`bot/features/core.py`).
Everything is handed what it needs when it is made; nothing is set on it afterwards."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Config
from bot.delivery import Delivery
from bot.domain.assembly import AssemblyDirectory
from bot.domain.events import IncomingEvent
from bot.domain.words import counted
from bot.features.core import Core, build_core
from bot.features.platform import Platform, Tuning, assemblies_of, translation_of
from bot.i18n import Catalogs
from bot.loops import run_loops
from bot.matrix.backoff import Backoff
from bot.matrix.direct import DirectChats
from bot.matrix.encryption import Encryption
from bot.matrix.members import RoomMembers
from bot.matrix.privacy import MirrorPrivacy
from bot.matrix.runtime import MatrixRuntime, SyncedRooms, SyncVitals, make_client
from bot.matrix.sender import OutboxSender
from bot.matrix.session import Session
from bot.matrix.undecryptable import UndecryptableNotices, undecryptable_label
from bot.observability.metrics import Metrics
from bot.observability.server import Listener, start_listener
from bot.services.timers import utc_now
from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore

__all__ = ["Asamblea", "Tuning"]

log = logging.getLogger(__name__)


class Asamblea:
    def __init__(
        self,
        config: Config,
        tuning: Tuning | None = None,
        *,
        scheduler: Any = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """`scheduler` and `clock` are for tests that move time on instead of waiting for it."""
        self.config = config
        self.tuning = tuning or Tuning()
        self.catalogs = Catalogs.load_default()
        self.client = make_client(config.matrix)
        self.db: Database | None = None
        self.runtime: MatrixRuntime | None = None
        self.crypto: Encryption | None = None
        self.ready = asyncio.Event()
        # Timers (timeboxes, turn limits, reminders, deadlines) are rebuilt from the database at
        # start-up; the scheduler itself keeps nothing.
        self.scheduler = scheduler if scheduler is not None else AsyncIOScheduler(timezone=UTC)
        self.clock = clock
        self.metrics = Metrics()
        self.vitals = SyncVitals()
        self.listener: Listener | None = None  # /health and /metrics, when configured

    async def run(self, stop: asyncio.Event) -> None:
        """Start, serve until `stop` is set, and shut down cleanly."""
        self.db = await Database.open(self.config.database_path)
        try:
            await self._serve(self.db, stop)
        finally:
            if self.listener is not None:
                await self.listener.close()
            await self.client.close()
            await self.db.close()

    async def _serve(self, db: Database, stop: asyncio.Event) -> None:
        store = RuntimeStore(db)
        names = [assembly.name for assembly in self.config.assemblies]
        # Listening before login, so that a probe hears "no sync yet" rather than nothing.
        self.listener = await start_listener(
            self.config.observability, self.metrics, self.vitals, store, names
        )
        session = Session(self.client, self.config.matrix, store)
        await session.login()
        resolved = await session.resolve_rooms(
            room.room for assembly in self.config.assemblies for room in assembly.rooms
        )
        directory = AssemblyDirectory(assemblies_of(self.config, resolved))
        # Rung whenever a message is queued, and after every sync: the sender's doorbell.
        bell = asyncio.Event()
        rooms = SyncedRooms(directory.room_ids)
        privacy = MirrorPrivacy(
            self.client,
            directory,
            frozenset(a.name for a in self.config.assemblies if a.allow_unencrypted_mirror),
            encryption_enabled=self.config.matrix.encryption.enabled,
        )
        core = build_core(self._platform(db, store, directory, rooms, privacy, bell))
        crypto = Encryption(
            self.client,
            self.config.matrix.encryption,
            store,
            timing=self.tuning.crypto,
            # Messages the bot cannot read get a reaction in the room's language.
            notices=UndecryptableNotices(
                store, undecryptable_label(self.catalogs, directory), bell.set
            ),
            on_sync=(privacy.review,),
        )
        self.crypto = crypto
        sender = OutboxSender(
            self.client,
            store,
            trust=crypto.trust,
            finish=core.delivery.finish,
            metrics=self.metrics,
            bell=bell,
        )
        self.runtime = self._runtime(store, core, rooms, crypto, bell)
        for step in core.restore:
            await step()
        loops = [self.runtime.run, sender.run, *core.background]
        try:
            await run_loops(stop, loops, self.scheduler, self._announce_ready())
        finally:
            await core.close()

    def _platform(
        self,
        db: Database,
        store: RuntimeStore,
        directory: AssemblyDirectory,
        rooms: SyncedRooms,
        privacy: MirrorPrivacy,
        bell: asyncio.Event,
    ) -> Platform:
        members = RoomMembers(self.client)
        translation = translation_of(self.config, db, self.tuning, self.metrics)
        return Platform(
            config=self.config,
            tuning=self.tuning,
            catalogs=self.catalogs,
            db=db,
            runtime_store=store,
            delivery=Delivery(
                store, self.catalogs, members, bell.set, texts=translation.gateway
            ),
            translation=translation,
            members=members,
            directory=directory,
            scheduler=self.scheduler,
            ready=self.vitals.first_sync.wait,
            clock=self.clock,
            may_mirror=privacy.may_mirror,
            chats=DirectChats(
                self.client, rooms, store, encrypted=self.config.matrix.encryption.enabled
            ),
            metrics=self.metrics,
        )

    def _runtime(
        self,
        store: RuntimeStore,
        core: Core,
        rooms: SyncedRooms,
        crypto: Encryption,
        bell: asyncio.Event,
    ) -> MatrixRuntime:
        async def handle(events: list[IncomingEvent]) -> None:
            await core.dispatcher.handle_all(events)
            self.metrics.event_handled(len(events))

        return MatrixRuntime(
            self.client,
            self.config.matrix,
            store,
            on_events=handle,
            rooms=rooms,
            vitals=self.vitals,
            direct_chats=core.direct_chats,
            pruning=core.pruning,
            sync_timeout_ms=self.tuning.sync_timeout_ms,
            backoff=Backoff(self.tuning.backoff_initial, self.tuning.backoff_maximum),
            crypto=crypto,
            on_synced=bell.set,
        )

    async def _announce_ready(self) -> None:
        await self.vitals.first_sync.wait()
        count = len(self.config.assemblies)
        log.info("Asamblea is serving %s", counted(count, "assembly", "assemblies"))
        self.ready.set()
