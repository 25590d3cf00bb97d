"""`asamblea demo` on a homeserver of its own: four people, two in each center's room, find their
room there at their first login, and a second run of the demo seats nobody twice."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.demo import PEOPLE, prepare
from bot.cli.devserver import LocalSynapse
from bot.config import load_config


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
    prepare(demo_server, tmp_path, "none")
    config_path = prepare(demo_server, tmp_path, "none")  # a second run changes nothing
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
