"""The health and metrics listener: GET /health and GET /metrics, inside the bot's event loop.

/health answers 200 while the sync loop runs, its last sync is recent and the database takes a
write; otherwise 503, with the reasons in JSON. /metrics reads the queues from the database, then
answers in Prometheus' text format. Off unless `observability.listen` is set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from bot.observability.metrics import CONTENT_TYPE, Metrics
from bot.settings import ObservabilitySettings
from bot.storage.mirror_store import MirrorStore
from bot.storage.runtime_store import RuntimeStore, now_ms

log = logging.getLogger(__name__)

# A database that takes longer than this for one small write is not healthy.
DATABASE_PROBE_SECONDS = 5.0
HEALTH_KEY = "observability.health_checked_at"


class SyncLoop(Protocol):
    """What the listener reads of the sync loop (`bot.matrix.runtime.SyncVitals`)."""

    syncing: bool

    def seconds_since_sync(self) -> float | None: ...


class ListenerError(Exception):
    """The listener could not open its port (taken, or not allowed)."""


@dataclass(frozen=True)
class Vitals:
    """What the answers are made of, each read when asked."""

    syncing: Callable[[], bool]
    seconds_since_sync: Callable[[], float | None]
    probe_database: Callable[[], Awaitable[None]]  # raises when the database takes no write
    refresh_gauges: Callable[[], Awaitable[None]]


def health(
    vitals_now: tuple[bool, float | None, str | None], stale_after: float
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) for the sync loop's state, the seconds since the last sync and
    the database's trouble (None when it took a write)."""
    syncing, since_sync, database_trouble = vitals_now
    reasons = []
    if not syncing:
        reasons.append("the sync loop is not running")
    if since_sync is None:
        reasons.append("no successful sync yet")
    elif since_sync > stale_after:
        reasons.append(f"last successful sync {since_sync:.0f} s ago (limit {stale_after:g} s)")
    if database_trouble is not None:
        reasons.append(f"the database takes no writes: {database_trouble}")
    body: dict[str, Any] = {"status": "ok" if not reasons else "unhealthy"}
    if since_sync is not None:
        body["seconds_since_sync"] = round(since_sync, 3)
    if reasons:
        body["reason"] = "; ".join(reasons)
    return (200 if not reasons else 503), body


class Listener:
    def __init__(self, settings: ObservabilitySettings, metrics: Metrics, vitals: Vitals) -> None:
        self._settings = settings
        self._metrics = metrics
        self._vitals = vitals
        self._runner: web.AppRunner | None = None
        self.port = settings.port  # the port listened on (the one the system gave, for port 0)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics_page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.host, self._settings.port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            raise ListenerError(
                f"observability.listen: cannot listen on {self._settings.host}:"
                f"{self._settings.port} ({error.strerror or error})"
            ) from error
        self.port = _bound_port(self._runner.addresses) or self._settings.port
        log.info("health and metrics at http://%s:%d/", self._settings.host, self.port)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _health(self, _: web.Request) -> web.Response:
        status, body = health(
            (self._vitals.syncing(), self._vitals.seconds_since_sync(), await self._database()),
            self._settings.stale_after_seconds,
        )
        return web.json_response(body, status=status)

    async def _database(self) -> str | None:
        try:
            await asyncio.wait_for(self._vitals.probe_database(), DATABASE_PROBE_SECONDS)
        except TimeoutError:
            return f"no answer within {DATABASE_PROBE_SECONDS:g} s"
        except Exception as error:
            return f"{type(error).__name__}: {error}"
        return None

    async def _metrics_page(self, _: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(self._vitals.refresh_gauges(), DATABASE_PROBE_SECONDS)
        except Exception:
            # The counters are still worth having; the gauges keep their last values.
            log.warning("reading the queues for /metrics failed", exc_info=True)
        return web.Response(body=self._metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})


def _bound_port(addresses: Iterable[Any]) -> int | None:
    for address in addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None


async def start_listener(
    settings: ObservabilitySettings,
    metrics: Metrics,
    sync: SyncLoop,
    store: RuntimeStore,
    assemblies: Iterable[str],
) -> Listener | None:
    """The listener, listening; None when the configuration leaves it off."""
    if not settings.enabled:
        return None
    names = tuple(assemblies)
    mirror = MirrorStore(store.db)
    metrics.watch_sync(sync.seconds_since_sync)
    metrics.watch_database(lambda: store.db.statements)

    async def probe_database() -> None:
        await store.set_value(HEALTH_KEY, str(now_ms()))

    async def refresh_gauges() -> None:
        waiting = await mirror.waiting_counts()
        pending, set_aside = await store.outbox_counts()
        metrics.observe_queues({name: waiting.get(name, 0) for name in names}, pending, set_aside)

    listener = Listener(
        settings,
        metrics,
        Vitals(lambda: sync.syncing, sync.seconds_since_sync, probe_database, refresh_gauges),
    )
    await listener.start()
    return listener
