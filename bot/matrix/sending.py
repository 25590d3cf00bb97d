"""One event into one room: encrypted where the room is, for the devices the policy allows."""

from __future__ import annotations

import logging
from typing import Any

from nio import AsyncClient, LocalProtocolError, OlmUnverifiedDeviceError, Response, RoomSendError

from bot.matrix.trust import TrustPolicy

log = logging.getLogger(__name__)


def encrypts(client: AsyncClient, room_id: str) -> bool | None:
    """Whether what goes to this room must be encrypted; None while that is not known yet."""
    if getattr(client, "olm", None) is None:  # encryption off (or a stand-in client)
        return False
    room = client.rooms.get(room_id)
    if room is None:
        return None if not client.next_batch else False
    return room.encrypted


async def send_event(
    client: AsyncClient,
    trust: TrustPolicy,
    room_id: str,
    event_type: str,
    content: dict[str, Any],
    txn_id: str,
) -> Response | None:
    """room_send, encrypted in encrypted rooms for the devices `trust` allows.

    None means "not now": the rooms are not known before the first sync, or a device turned up
    that the trust policy had not settled yet. The caller tries again later.
    """
    if getattr(client, "olm", None) is not None and room_id not in client.rooms:
        if not client.next_batch:
            return None
        # nio cannot encrypt for a room it has not synced; the homeserver would refuse it too.
        return RoomSendError(f"the bot is not in {room_id}", "M_FORBIDDEN")
    try:
        return await client.room_send(
            room_id,
            event_type,
            content,
            tx_id=txn_id,
            ignore_unverified_devices=trust.shares_with_unverified,
        )
    except OlmUnverifiedDeviceError as error:
        trust.settle(client, error.device)
        return None
    except LocalProtocolError as error:  # members could not be fetched to share the room key
        log.warning("cannot encrypt for %s yet (%s); will retry", room_id, error)
        return None


def attachment(content_uri: str, keys: dict[str, Any] | None, mimetype: str) -> dict[str, Any]:
    """Where a message finds its uploaded file: a plain URL, or the encrypted-file form."""
    if keys is None:
        return {"url": content_uri}
    return {"file": {**keys, "url": content_uri, "mimetype": mimetype}}
