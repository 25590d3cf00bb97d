"""The bot's counters and gauges, in Prometheus' terms.

One `Metrics` per running bot, with a registry of its own (tests run several bots in one
process). The parts that count are handed it where they are built (bot/app.py); a part built
without one counts into a registry nobody reads. It sits at the bottom of the road, beside the
domain, and knows nothing of the parts that count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# Seconds: a cached or local translation takes a few milliseconds, a public endpoint a second,
# and anything past the configured timeout (10 s by default) has failed.
TRANSLATION_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.events_handled = Counter(
            "asamblea_events_handled",
            "Matrix events handled (commands, messages, reactions…)",
            registry=registry,
        )
        self.translation_seconds = Histogram(
            "asamblea_translation_seconds",
            "Time the translation provider took for one request that succeeded",
            ["provider"],
            buckets=TRANSLATION_BUCKETS,
            registry=registry,
        )
        self.translation_failures = Counter(
            "asamblea_translation_failures",
            "Translation requests that failed (reason: timeout, provider, config, closed)",
            ["provider", "reason"],
            registry=registry,
        )
        self.outbox_sent = Counter(
            "asamblea_outbox_sent",
            "Messages the homeserver accepted from the outbox",
            registry=registry,
        )
        self.outbox_set_aside = Counter(
            "asamblea_outbox_set_aside",
            "Messages set aside for good since start",
            registry=registry,
        )
        self.reminders_sent = Counter(
            "asamblea_reminders_sent",
            "Reminders posted (kind: meeting, action)",
            ["kind"],
            registry=registry,
        )
        # Read from the database at each scrape: they survive restarts.
        self.mirror_queue_depth = Gauge(
            "asamblea_mirror_queue_depth",
            "Messages waiting to be mirrored, per assembly",
            ["assembly"],
            registry=registry,
        )
        self.outbox_depth = Gauge(
            "asamblea_outbox_depth", "Messages waiting in the outbox", registry=registry
        )
        self.set_aside_messages = Gauge(
            "asamblea_set_aside_messages",
            "Messages the homeserver refused for good, kept in the database (pruned after 30 days)",
            registry=registry,
        )
        self.sync_lag = Gauge(
            "asamblea_sync_lag_seconds",
            "Seconds since the last successful sync (NaN before the first)",
            registry=registry,
        )
        self.sync_lag.set(math.nan)
        self.database_statements = Gauge(
            "asamblea_database_statements",
            "SQLite statements run since start, each a round trip to the database's thread",
            registry=registry,
        )

    # -- what the parts report ------------------------------------------------------------------

    def event_handled(self, count: int = 1) -> None:
        self.events_handled.inc(count)

    def translated(self, provider: str, seconds: float) -> None:
        self.translation_seconds.labels(provider).observe(seconds)

    def translation_failed(self, provider: str, reason: str) -> None:
        self.translation_failures.labels(provider, reason).inc()

    def message_sent(self) -> None:
        self.outbox_sent.inc()

    def message_set_aside(self) -> None:
        self.outbox_set_aside.inc()

    def reminder_sent(self, kind: str) -> None:
        self.reminders_sent.labels(kind).inc()

    # -- what is read at each scrape ------------------------------------------------------------

    def watch_sync(self, seconds_since_sync: Callable[[], float | None]) -> None:
        """The sync lag is read when scraped, from whoever knows when the last sync was."""

        def lag() -> float:
            seconds = seconds_since_sync()
            return math.nan if seconds is None else seconds

        self.sync_lag.set_function(lag)

    def watch_database(self, statements: Callable[[], int]) -> None:
        """The statements run so far, read when scraped from whoever counts them."""
        self.database_statements.set_function(lambda: float(statements()))

    def observe_queues(
        self, mirror_waiting: Mapping[str, int], outbox_pending: int, set_aside: int
    ) -> None:
        for assembly, waiting in mirror_waiting.items():
            self.mirror_queue_depth.labels(assembly).set(waiting)
        self.outbox_depth.set(outbox_pending)
        self.set_aside_messages.set(set_aside)

    def exposition(self) -> bytes:
        """Everything, in Prometheus' text format."""
        return generate_latest(self.registry)
