"""What /health and /metrics answer, from the listener alone: the sync loop and the database are
stood in for by plain values, the translator is the LibreTranslate look-alike on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.cli.devserver import free_port
from bot.observability.metrics import Metrics
from bot.observability.server import Listener, ListenerError, Vitals, health
from bot.services.translation import ProviderTranslator, TranslationError
from bot.settings import ObservabilitySettings, TranslationSettings
from tests.harness.libretranslate import FakeLibreTranslate


def test_healthy_when_syncing_recently_with_a_writable_database() -> None:
    assert health((True, 3.0, None), stale_after=120) == (
        200,
        {"status": "ok", "seconds_since_sync": 3.0},
    )


@pytest.mark.parametrize(
    ("vitals", "reason"),
    [
        ((False, 3.0, None), "the sync loop is not running"),
        ((True, None, None), "no successful sync yet"),
        ((True, 300.0, None), "last successful sync 300 s ago (limit 120 s)"),
        ((True, 3.0, "disk I/O error"), "the database takes no writes: disk I/O error"),
    ],
)
def test_unhealthy_says_why(vitals: tuple[bool, float | None, str | None], reason: str) -> None:
    status, body = health(vitals, stale_after=120)
    assert (status, body["status"], body["reason"]) == (503, "unhealthy", reason)


class Stand:
    """Stands in for the running bot's vitals; the test changes them."""

    def __init__(self) -> None:
        self.syncing = True
        self.since_sync: float | None = 1.0
        self.database_error: Exception | None = None
        self.refreshed = 0

    async def probe_database(self) -> None:
        if self.database_error is not None:
            raise self.database_error

    async def refresh(self) -> None:
        self.refreshed += 1


@pytest.fixture
async def listening() -> AsyncIterator[tuple[Listener, Stand, Metrics]]:
    stand, metrics = Stand(), Metrics()
    vitals = Vitals(
        lambda: stand.syncing, lambda: stand.since_sync, stand.probe_database, stand.refresh
    )
    listener = Listener(ObservabilitySettings(host="127.0.0.1", port=free_port()), metrics, vitals)
    await listener.start()
    yield listener, stand, metrics
    await listener.close()


async def fetch(listener: Listener, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{listener.port}{path}") as response,
    ):
        return response.status, await response.text()


async def test_a_database_that_takes_no_writes_makes_health_fail_with_the_reason(
    listening: tuple[Listener, Stand, Metrics],
) -> None:
    listener, stand, _ = listening
    assert (await fetch(listener, "/health"))[0] == 200
    stand.database_error = OSError("disk I/O error")
    status, body = await fetch(listener, "/health")
    assert status == 503 and "the database takes no writes: OSError: disk I/O error" in body


async def test_metrics_are_read_fresh_at_each_scrape(
    listening: tuple[Listener, Stand, Metrics],
) -> None:
    listener, stand, metrics = listening
    metrics.event_handled()
    metrics.reminder_sent("meeting")
    status, text = await fetch(listener, "/metrics")
    assert status == 200 and stand.refreshed == 1
    assert "asamblea_events_handled_total 1.0" in text
    assert 'asamblea_reminders_sent_total{kind="meeting"} 1.0' in text


async def test_a_second_listener_on_a_taken_port_is_refused_clearly(
    listening: tuple[Listener, Stand, Metrics],
) -> None:
    listener, _, metrics = listening
    settings = ObservabilitySettings(host="127.0.0.1", port=listener.port)
    vitals = Vitals(lambda: True, lambda: 0.0, Stand().probe_database, Stand().refresh)
    with pytest.raises(
        ListenerError, match=r"observability\.listen: cannot listen on 127\.0\.0\.1"
    ):
        await Listener(settings, metrics, vitals).start()


async def test_the_translator_counts_its_latency_and_failures_per_provider() -> None:
    metrics = Metrics()
    with FakeLibreTranslate() as server:
        translator = ProviderTranslator(
            TranslationSettings(provider="libre", url=server.url), metrics
        )
        try:
            assert await translator.translate("Hello", "en", "es") == "Hola"
            server.fail_next(1, status=500)
            with pytest.raises(TranslationError):
                await translator.translate("Goodbye", "en", "es")
        finally:
            await translator.aclose()
    text = metrics.exposition().decode()
    assert 'asamblea_translation_seconds_count{provider="libre"} 1.0' in text
    assert 'asamblea_translation_failures_total{provider="libre",reason="provider"} 1.0' in text
