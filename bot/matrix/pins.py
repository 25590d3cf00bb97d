"""The master key the bot accepts for each person, kept in the database.

The first master key seen for a user is pinned; the operator's verification (`asamblea crypto
verify`) pins the key it checked and marks it verified. A pin changes only by verification, so a
master key swapped by a hostile homeserver (or a thief of the account) is refused, not learned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.storage.runtime_store import RuntimeStore

PREFIX = "crypto.identity."


@dataclass(frozen=True)
class Pin:
    master: str
    verified: bool = False


class PinStore:
    def __init__(self, store: RuntimeStore) -> None:
        self._store = store

    async def load(self) -> dict[str, Pin]:
        pins = {}
        for key, value in (await self._store.values_with_prefix(PREFIX)).items():
            try:
                raw = json.loads(value)
                pins[key.removeprefix(PREFIX)] = Pin(str(raw["master"]), bool(raw["verified"]))
            except (ValueError, KeyError, TypeError):
                continue  # a damaged pin is no pin: the next master key seen is pinned
        return pins

    async def save(self, user_id: str, pin: Pin) -> None:
        value = json.dumps({"master": pin.master, "verified": pin.verified})
        await self._store.set_value(PREFIX + user_id, value)
