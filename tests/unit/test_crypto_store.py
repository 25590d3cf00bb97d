"""The crypto store writes the set of encrypted rooms when a room joins it, not after every sync
(nio asks after every sync, and the write would hold the event loop each time)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nio.crypto import OlmAccount

from bot.matrix.encryption import CryptoStore


def statements_while(store: CryptoStore, action: Callable[[], None]) -> list[str]:
    seen: list[str] = []
    connection = store.database.connection()
    connection.set_trace_callback(seen.append)
    try:
        action()
    finally:
        connection.set_trace_callback(None)
    return seen


def test_the_encrypted_rooms_are_written_only_when_one_is_new(tmp_path: Path) -> None:
    store = CryptoStore("@asamblea:test", "BOTDEVICE", str(tmp_path))
    store.save_account(OlmAccount())
    assert store.load_encrypted_rooms() == set()

    assert statements_while(store, lambda: store.save_encrypted_rooms({"!english:test"}))
    # The next syncs report the same room: nothing is written, nothing is even asked.
    assert statements_while(store, lambda: store.save_encrypted_rooms({"!english:test"})) == []
    assert statements_while(store, lambda: store.save_encrypted_rooms(set())) == []
    assert statements_while(store, lambda: store.save_encrypted_rooms({"!spanish:test"}))

    again = CryptoStore("@asamblea:test", "BOTDEVICE", str(tmp_path))
    assert again.load_encrypted_rooms() == {"!english:test", "!spanish:test"}
    assert statements_while(again, lambda: again.save_encrypted_rooms({"!english:test"})) == []
