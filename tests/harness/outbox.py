"""The outbox as the sender takes it, for tests without a homeserver.

`waiting` is what the sender would send next: every message still in the outbox, oldest first,
its content finished as the sender finishes it (the words people wrote translated, outside any
transaction). `drain` is the sender and the homeserver at once: every waiting message finished
and taken as event `sent_as(its row id)`, so later messages may point at it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from bot.storage.runtime_store import OutgoingMessage, RuntimeStore

# More than any test queues; the outbox hands out its messages in batches of at most this many.
BATCH = 1000


class Finisher(Protocol):
    """What finishes a queued message's content as the sender sends it (the bot's delivery)."""

    async def finish(self, content: dict[str, Any]) -> dict[str, Any]: ...


def sent_as(message_id: int) -> str:
    """The event id the homeserver gives the outbox row `message_id` in `drain`."""
    return f"$sent{message_id}"


async def waiting(store: RuntimeStore, delivery: Finisher) -> list[OutgoingMessage]:
    """Every message still to send, oldest first, finished; nothing is marked sent."""
    return [
        replace(message, content=await delivery.finish(message.content))
        for message in await store.pending(limit=BATCH)
    ]


async def drain(store: RuntimeStore, delivery: Finisher) -> list[OutgoingMessage]:
    """Send every waiting message, oldest first: finished, then marked sent as `sent_as` its
    row id. Returns them as sent."""
    sent = []
    while batch := await store.pending(limit=BATCH):
        for message in batch:
            content = await delivery.finish(message.content)
            await store.mark_sent(message.id, sent_as(message.id))
            sent.append(replace(message, content=content))
    return sent
