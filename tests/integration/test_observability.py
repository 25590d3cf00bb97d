"""Health and metrics of a running bot, read the way a monitoring system reads them: over HTTP,
while alice speaks in the English room and beto reads the copy in the Spanish one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.cli.devserver import RegisteredAccount, free_port
from tests.conftest import BOT_LOCALPART
from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.matchers import copy_of
from tests.harness.person import Person
from tests.integration.conftest import running_bot

ASSEMBLY = "Asamblea de prueba"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
async def observed_bot(
    bot_config: Path,
    accounts: dict[str, RegisteredAccount],
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    port: int,
) -> AsyncIterator[BotRunner]:
    bot_config.write_text(
        bot_config.read_text() + f'\n[observability]\nlisten = "127.0.0.1:{port}"\n'
    )
    bot_id = accounts[BOT_LOCALPART].user_id
    async with running_bot(bot_config, rooms, alice, beto, bot_id) as runner:
        yield runner


async def get(port: int, path: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def scrape(port: int) -> Samples:
    status, content_type, text = await get(port, "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape_until(
    port: int, holds: Callable[[Samples], bool], timeout: float = 15.0
) -> Samples:
    """Scrape until the numbers say what the test waits for (the bot counts a message as sent
    once the homeserver answers, which may come a moment after beto sees it)."""
    deadline = time.monotonic() + timeout
    while True:
        samples = await scrape(port)
        if holds(samples) or time.monotonic() > deadline:
            return samples
        await asyncio.sleep(0.1)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_health_and_metrics_follow_a_mirrored_message(
    observed_bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, port: int
) -> None:
    status, _, body = await get(port, "/health")
    assert status == 200, body
    assert '"status": "ok"' in body

    before = await scrape(port)
    assert value(before, "asamblea_mirror_queue_depth", assembly=ASSEMBLY) == 0
    assert 0 <= value(before, "asamblea_sync_lag_seconds") < 60

    said = await alice.send_text(rooms.english, "good morning everyone")
    await beto.wait_for(copy_of(said, rooms.spanish))

    def moved(samples: Samples) -> bool:
        return value(samples, "asamblea_outbox_sent_total") > value(
            before, "asamblea_outbox_sent_total"
        )

    after = await scrape_until(port, moved)
    for name, labels in (
        ("asamblea_events_handled_total", {}),
        ("asamblea_translation_seconds_count", {"provider": "libre"}),
        ("asamblea_outbox_sent_total", {}),
    ):
        assert value(after, name, **labels) > value(before, name, **labels), name
    assert (
        value(after, "asamblea_translation_failures_total", provider="libre", reason="provider")
        == 0
    )
    assert value(after, "asamblea_outbox_depth") == 0
    assert value(after, "asamblea_set_aside_messages") == 0


async def test_health_says_why_when_the_last_sync_is_too_old(
    observed_bot: BotRunner, port: int
) -> None:
    assert observed_bot.app is not None
    # As if the homeserver had not answered since.
    observed_bot.app.vitals.last_sync = time.monotonic() - 1000
    status, content_type, body = await get(port, "/health")
    assert status == 503 and content_type.startswith("application/json")
    assert "last successful sync 1000 s ago (limit 120 s)" in body
