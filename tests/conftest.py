"""Shared fixtures: one local Synapse per session, test accounts, test people.

Bot fixtures are meant to be added below the "people" section. Every test that needs the
homeserver is marked `integration`, so `pytest -m "not integration"` runs the rest in seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.cli.devserver import LocalSynapse, RegisteredAccount
from tests.harness.person import Person

BOT_LOCALPART = "asamblea"
BOT_PASSWORD = "asamblea-bot-password"
PEOPLE = {"alice": "Alice", "beto": "Beto", "carol": "Carol", "dani": "Dani"}
PERSON_PASSWORD = "test-password"

Accounts = dict[str, RegisteredAccount]


INTEGRATION_TESTS = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark as `integration` every test under tests/integration, and any other test that asks
    for the homeserver (directly or through another fixture)."""
    for item in items:
        needs_synapse = "synapse" in getattr(item, "fixturenames", ())
        if needs_synapse or INTEGRATION_TESTS in item.path.parents:
            item.add_marker(pytest.mark.integration)


# -- homeserver and accounts ----------------------------------------------------------


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSynapse]:
    """A real Synapse on 127.0.0.1 shared by the whole session.

    Tests that stop it (fault tests) must start() it again before finishing.
    """
    server = LocalSynapse(tmp_path_factory.mktemp("synapse"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def accounts(synapse: LocalSynapse) -> Accounts:
    """The bot account plus alice, beto, carol and dani, registered once."""
    registered = {
        BOT_LOCALPART: synapse.register(BOT_LOCALPART, BOT_PASSWORD, displayname="Asamblea")
    }
    for localpart, displayname in PEOPLE.items():
        registered[localpart] = synapse.register(
            localpart, PERSON_PASSWORD, displayname=displayname
        )
    return registered


# -- people ------------------------------------------------------------------------------


async def _running_person(
    synapse: LocalSynapse, account: RegisteredAccount
) -> AsyncIterator[Person]:
    person = Person(synapse.base_url, account)
    await person.start()
    try:
        yield person
    finally:
        await person.stop()


@pytest.fixture
async def alice(synapse: LocalSynapse, accounts: Accounts) -> AsyncIterator[Person]:
    async for person in _running_person(synapse, accounts["alice"]):
        yield person


@pytest.fixture
async def beto(synapse: LocalSynapse, accounts: Accounts) -> AsyncIterator[Person]:
    async for person in _running_person(synapse, accounts["beto"]):
        yield person


@pytest.fixture
async def carol(synapse: LocalSynapse, accounts: Accounts) -> AsyncIterator[Person]:
    async for person in _running_person(synapse, accounts["carol"]):
        yield person


@pytest.fixture
async def dani(synapse: LocalSynapse, accounts: Accounts) -> AsyncIterator[Person]:
    async for person in _running_person(synapse, accounts["dani"]):
        yield person
