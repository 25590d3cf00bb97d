"""`asamblea demo` on a homeserver of its own: four people, two in each center's room, find their
room there at their first login, and a second run of the demo seats nobody twice. Run as the
README says, without a translator, the demo's copies say they are not translated; given a
LibreTranslate's URL (here the suite's loopback one), they are translated."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.cli.demo import BOT, PEOPLE, WITHOUT_TRANSLATOR, DemoTranslation, prepare
from bot.cli.devserver import LocalSynapse
from bot.config import load_config
from tests.harness.bot_runner import RoomPair
from tests.harness.libretranslate import FakeLibreTranslate
from tests.harness.matchers import copy_of
from tests.harness.person import Person, body_of
from tests.integration.conftest import running_bot


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSynapse]:
    # Its own homeserver: the demo's people and bot are not the test session's.
    server = LocalSynapse(tmp_path_factory.mktemp("demo-synapse"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def memberships(server: LocalSynapse, room_id: str, localpart: str, password: str) -> dict:
    """Everyone in the room, as `localpart` (who sits there) sees it: user id → membership."""
    account = server.login(localpart, password)
    request = urllib.request.Request(
        f"{server.base_url}/_matrix/client/v3/rooms/{room_id}/members",
        headers={"Authorization": f"Bearer {account.access_token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        body: dict[str, Any] = json.load(answer)
    return {event["state_key"]: event["content"]["membership"] for event in body["chunk"]}


def test_the_demo_seats_a_chair_and_a_member_in_each_room(
    demo_server: LocalSynapse, tmp_path: Path
) -> None:
    prepare(demo_server, tmp_path, WITHOUT_TRANSLATOR)
    config_path = prepare(demo_server, tmp_path, WITHOUT_TRANSLATOR)  # a second run changes nothing
    rooms = json.loads((tmp_path / "rooms.json").read_text())
    bot = demo_server.user_id("asamblea")
    for language in ("en", "es"):
        seated = [p for p in PEOPLE if p.language == language]
        member = next(p for p in seated if not p.chair)
        expected = {demo_server.user_id(p.localpart): "join" for p in seated}
        expected[bot] = "invite"  # the bot accepts once it runs
        found = memberships(demo_server, rooms[language], member.localpart, member.password)
        assert found == expected
    [assembly] = load_config(config_path).assemblies
    assert set(assembly.chairs) == {demo_server.user_id("ana"), demo_server.user_id("beto")}
    assert {room.room: room.language for room in assembly.rooms} == {
        rooms["en"]: "en",
        rooms["es"]: "es",
    }


@asynccontextmanager
async def demo_meeting(
    server: LocalSynapse, data: Path, translation: DemoTranslation
) -> AsyncIterator[tuple[Person, Person, RoomPair]]:
    """The demo as `asamblea demo` sets it up, its bot running: Ana in the English room and
    Beto in the Spanish one, logged in as the welcome tells them to."""
    config = prepare(server, data, translation)
    rooms = json.loads((data / "rooms.json").read_text())
    pair = RoomPair(english=rooms["en"], spanish=rooms["es"])
    ana, beto = (
        Person(server.base_url, server.login(name, f"{name}-demo")) for name in ("ana", "beto")
    )
    async with ana, beto, running_bot(config, pair, ana, beto, server.user_id(BOT[0])):
        yield ana, beto, pair


async def good_mornings(ana: Person, beto: Person, rooms: RoomPair) -> tuple[str, str]:
    """Ana and Beto greet each other, each in their own room and language; what each room
    reads of the other's greeting."""
    said = await ana.send_text(rooms.english, "Good morning everyone")
    in_spanish = await beto.wait_for(copy_of(said, rooms.spanish))
    said = await beto.send_text(rooms.spanish, "Buenos días, gracias")
    in_english = await ana.wait_for(copy_of(said, rooms.english))
    return body_of(in_spanish) or "", body_of(in_english) or ""


async def test_run_as_the_readme_says_the_demo_marks_its_copies_not_translated(
    demo_server: LocalSynapse, tmp_path: Path
) -> None:
    async with demo_meeting(demo_server, tmp_path, WITHOUT_TRANSLATOR) as (ana, beto, rooms):
        in_spanish, in_english = await good_mornings(ana, beto, rooms)
    assert in_spanish == "Ana (US) [sin traducir]: Good morning everyone"
    assert in_english == "Beto (MX) [not translated]: Buenos días, gracias"


async def test_given_a_libretranslate_url_the_demo_translates_its_copies(
    demo_server: LocalSynapse, tmp_path: Path, translator: FakeLibreTranslate
) -> None:
    libre = DemoTranslation("libre", translator.url)
    async with demo_meeting(demo_server, tmp_path, libre) as (ana, beto, rooms):
        in_spanish, in_english = await good_mornings(ana, beto, rooms)
    assert in_spanish.startswith("Ana (US) [traducción automática]: Buenos días todos")
    assert "> Good morning everyone" in in_spanish  # the original, one click away
    assert in_english.startswith("Beto (MX) [machine translation]: Good morning, thank you")
    assert {"Good morning everyone", "Buenos días, gracias"} <= set(translator.requests)
