"""A mixed assembly: messages of an encrypted room are not copied into an unencrypted one unless
the configuration allows it; the operator is told once, and again when a room's state changes."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.domain.assembly import Assembly, AssemblyDirectory, AssemblyRoom
from bot.matrix.privacy import MirrorPrivacy, mirror_allowed
from tests.harness.fakes import FakeClient, FakeRoom

EN, ES, FR = "!en:x", "!es:x", "!fr:x"


def test_only_copies_from_an_encrypted_room_into_an_unencrypted_one_are_refused() -> None:
    assert mirror_allowed(source_encrypted=False, target_encrypted=False, allowed=False)
    assert mirror_allowed(source_encrypted=False, target_encrypted=True, allowed=False)
    assert mirror_allowed(source_encrypted=True, target_encrypted=True, allowed=False)
    assert not mirror_allowed(source_encrypted=True, target_encrypted=False, allowed=False)
    assert mirror_allowed(source_encrypted=True, target_encrypted=False, allowed=True)


def directory(*room_ids: str, name: str = "General") -> AssemblyDirectory:
    rooms = tuple(AssemblyRoom(r, "en", r, "UTC") for r in room_ids)
    return AssemblyDirectory((Assembly(name, rooms),))


def privacy(client: FakeClient, *room_ids: str, allowed: frozenset[str] = frozenset()) -> Any:
    return MirrorPrivacy(client, directory(*room_ids), allowed)  # type: ignore[arg-type]


def test_a_mixed_pair_is_refused_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    client = FakeClient(rooms={EN: FakeRoom(True), ES: FakeRoom(False)})
    guard = privacy(client, EN, ES)
    with caplog.at_level(logging.WARNING, logger="bot.matrix.privacy"):
        assert not guard.may_mirror(EN, ES)
        assert not guard.may_mirror(EN, ES)
        assert guard.may_mirror(ES, EN)
    assert [r.getMessage() for r in caplog.records] == [
        f"not mirroring encrypted room {EN} into unencrypted room {ES} (assembly General): "
        "set allow_unencrypted_mirror = true for that assembly to allow it"
    ]


def test_the_config_may_allow_it_for_one_assembly() -> None:
    client = FakeClient(rooms={EN: FakeRoom(True), ES: FakeRoom(False)})
    assert privacy(client, EN, ES, allowed=frozenset({"General"})).may_mirror(EN, ES)


def test_a_target_of_unknown_state_gets_no_copy_of_an_encrypted_room() -> None:
    client = FakeClient(rooms={EN: FakeRoom(True)})
    assert not privacy(client, EN, FR).may_mirror(EN, FR)


def test_a_room_that_turns_encryption_on_is_protected_from_then_on() -> None:
    client = FakeClient(rooms={EN: FakeRoom(False), ES: FakeRoom(False)})
    guard = privacy(client, EN, ES)
    assert guard.may_mirror(EN, ES)
    client.rooms[EN].encrypted = True
    assert not guard.may_mirror(EN, ES)


def test_the_review_speaks_once_the_rooms_are_known_and_when_they_change(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = FakeClient(rooms={EN: FakeRoom(True)})
    guard = privacy(client, EN, ES)
    with caplog.at_level(logging.INFO, logger="bot.matrix.privacy"):
        guard.review()  # the Spanish room is not joined yet
        assert caplog.records == []
        client.rooms[ES] = FakeRoom(False)
        guard.review()
        guard.review()
        client.encrypted_rooms.add(ES)
        guard.review()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "mixes encrypted rooms !en:x with unencrypted rooms !es:x" in messages[0]
    assert messages[1] == "assembly General: every room is encrypted"
