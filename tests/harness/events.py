"""A person's message as the sync loop hands it to the dispatcher, for tests of the offline
core: the raw event a homeserver sends, normalized."""

from __future__ import annotations

from typing import Any

from bot.domain.events import IncomingEvent, normalize

# Milliseconds since the epoch of the first test message; message n is sent n ms later.
FIRST_SENT_AT = 1_700_000_000_000


def said_in(room_id: str, n: int, sender: str, body: str, **fields: Any) -> IncomingEvent:
    """Message number `n` (event id `$e{n}` unless `fields` names another): `body` as text."""
    raw = {
        "event_id": f"$e{n}",
        "sender": sender,
        "type": "m.room.message",
        "origin_server_ts": FIRST_SENT_AT + n,
        "content": {"msgtype": "m.text", "body": body},
        **fields,
    }
    event = normalize(room_id, raw)
    assert event is not None
    return event
