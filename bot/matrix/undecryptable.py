"""Messages the bot could not decrypt yet (bot.matrix.encryption keeps them until their key
arrives), and the reaction that tells their authors so, withdrawn once the bot can read them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nio import Event, MegolmEvent

from bot.domain.assembly import AssemblyDirectory
from bot.domain.events import REACTION
from bot.domain.messages import Msg
from bot.domain.outbox import REDACTION, outbox_ref
from bot.i18n import Catalogs
from bot.render.notices import reaction
from bot.storage.runtime_store import RuntimeStore, txn_id


@dataclass
class Undecryptable:
    event_id: str
    room_id: str
    source: dict[str, Any]  # the encrypted event as received: ciphertext only
    first_seen: float
    requested: bool = False
    reaction: int | None = None  # outbox row of the bot's reaction on it, once reacted

    def megolm(self) -> MegolmEvent | None:
        event = Event.parse_event(self.source)
        if not isinstance(event, MegolmEvent):
            return None
        event.room_id = self.room_id
        return event

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Undecryptable:
        return cls(**data)


class UndecryptableNotices:
    """The reaction that tells people the bot cannot read a message, and its withdrawal."""

    def __init__(
        self, store: RuntimeStore, label: Callable[[str], str], wake: Callable[[], None]
    ) -> None:
        self._store = store
        self._label = label
        self._wake = wake

    async def flag(self, item: Undecryptable) -> int:
        outbox_id = await self._store.enqueue(
            item.room_id,
            REACTION,
            reaction(item.event_id, self._label(item.room_id)),
            txn_id=txn_id(f"undecryptable:{item.event_id}", 0),
            purpose="undecryptable",
            source_event_id=item.event_id,
        )
        self._wake()
        return outbox_id

    async def withdraw(self, item: Undecryptable) -> None:
        """Once the message has been read, the reaction saying it could not be would mislead."""
        if item.reaction is None:
            return
        await self._store.enqueue(
            item.room_id,
            REDACTION,
            {"redacts": outbox_ref(item.reaction)},
            txn_id=txn_id(f"undecryptable-read:{item.event_id}", 0),
            purpose="undecryptable",
            source_event_id=item.event_id,
        )
        self._wake()


def undecryptable_label(catalogs: Catalogs, directory: AssemblyDirectory) -> Callable[[str], str]:
    """The reaction's words, in the language of the room it goes to."""

    def label(room_id: str) -> str:
        assembly = directory.for_room(room_id)
        room = assembly.room(room_id) if assembly else None
        return catalogs.text(room.language if room else "en", Msg("encryption.undecryptable"))

    return label
