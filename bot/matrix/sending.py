"""One event into one room: encrypted where the room is, for the devices the policy allows."""

from __future__ import annotations

import logging
from typing import Any

from nio import (
    Api,
    AsyncClient,
    LocalProtocolError,
    OlmUnverifiedDeviceError,
    Response,
    RoomSendResponse,
)

from bot.matrix.trust import TrustPolicy

log = logging.getLogger(__name__)

REACTION = "m.reaction"


def encrypts(client: AsyncClient, room_id: str) -> bool | None:
    """Whether what goes to this room must be encrypted; None while that is not known yet."""
    if client.olm is None:  # encryption off
        return False
    room = client.rooms.get(room_id)
    return None if room is None else room.encrypted


async def send_event(
    client: AsyncClient,
    trust: TrustPolicy,
    room_id: str,
    event_type: str,
    content: dict[str, Any],
    txn_id: str,
) -> Response | None:
    """room_send, encrypted in encrypted rooms for the devices `trust` allows.

    None means "not now", tried again after the next sync: the room has not come in by sync
    yet (nio encrypts only for rooms it has synced), nobody but the bot has joined an encrypted
    room yet (a key shared now would reach no one who reads it), or a device turned up that the
    trust policy had not settled yet. Nothing goes in the clear to an encrypted room.
    """
    if hold := held_back(client, room_id):
        log.debug("holding back a message to %s: %s", room_id, hold)
        return None
    try:
        if event_type == REACTION and encrypts(client, room_id):
            return await _send_sealed_reaction(client, trust, room_id, content, txn_id)
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


async def _send_sealed_reaction(
    client: AsyncClient, trust: TrustPolicy, room_id: str, content: dict[str, Any], txn_id: str
) -> Response:
    """A reaction, encrypted as Element sends one (the relation stays outside, so that clients
    can aggregate it). nio's room_send leaves reactions in the clear; this takes its steps
    for any other event: members known, the room key shared, then the event encrypted."""
    room = client.rooms[room_id]
    if not room.members_synced:
        await client.joined_members(room_id)
        if client.should_query_keys:
            await client.keys_query()
    if client.olm is not None and client.olm.should_share_group_session(room_id):
        await client.share_group_session(
            room_id, ignore_unverified_devices=trust.shares_with_unverified
        )
    event_type, sealed = client.encrypt(room_id, REACTION, content)
    method, path, data = Api.room_send(client.access_token, room_id, event_type, sealed, txn_id)
    return await client._send(RoomSendResponse, method, path, data, (room_id,))


def held_back(client: AsyncClient, room_id: str) -> str | None:
    """Why a message cannot go to the room now, or None if it can."""
    room = client.rooms.get(room_id)
    if room is None:
        return "the room has not come in by sync yet"
    if room.encrypted and client.olm is None:
        return "the room is encrypted and the bot's encryption is off"
    anyone_joined = any(
        user_id != client.user_id and user_id not in room.invited_users for user_id in room.users
    )
    # In an encrypted room the key would reach no one who reads it; in a chat just made, the
    # person invited would not see what came before they joined.
    if not anyone_joined and (room.encrypted or room.invited_users):
        return "nobody else has joined yet"
    return None


def attachment(content_uri: str, keys: dict[str, Any] | None, mimetype: str) -> dict[str, Any]:
    """Where a message finds its uploaded file: a plain URL, or the encrypted-file form."""
    if keys is None:
        return {"url": content_uri}
    return {"file": {**keys, "url": content_uri, "mimetype": mimetype}}
