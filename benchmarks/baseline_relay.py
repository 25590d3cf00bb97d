"""The floor any mirroring bot sits on: copy each message to the other room, nothing else.

No translation, no storage, no formatting. `!ping` is answered with `pong` (the baseline for a
command's round trip).

    python -m benchmarks.baseline_relay HOMESERVER USER_ID ACCESS_TOKEN ROOM_A ROOM_B
"""

from __future__ import annotations

import asyncio
import sys

from nio import AsyncClient, AsyncClientConfig, SyncResponse

# The same timeline window Asamblea asks for, so that neither drops events in a burst.
SYNC_FILTER = {"room": {"timeline": {"limit": 100}}, "presence": {"not_types": ["*"]}}


async def relay(homeserver: str, user_id: str, token: str, room_a: str, room_b: str) -> None:
    client = AsyncClient(homeserver, user_id, config=AsyncClientConfig(max_timeouts=None))
    client.restore_login(user_id, "BASELINE", token)
    other = {room_a: room_b, room_b: room_a}
    for room in other:
        await client.join(room)
    since = None
    first = True
    while True:
        response = await client.sync(timeout=30_000, since=since, sync_filter=SYNC_FILTER)
        if not isinstance(response, SyncResponse):
            await asyncio.sleep(0.5)
            continue
        since = response.next_batch
        if first:  # history is not relayed
            first = False
            print("ready", flush=True)
            continue
        for room_id, info in response.rooms.join.items():
            for event in info.timeline.events:
                await _handle(client, other, room_id, event.source)


async def _handle(client: AsyncClient, other: dict[str, str], room_id: str, source: dict) -> None:
    if source.get("type") != "m.room.message" or source.get("sender") == client.user_id:
        return
    body = source.get("content", {}).get("body", "")
    if room_id not in other or not isinstance(body, str):
        return
    if body == "!ping":
        reply = {
            "msgtype": "m.notice",
            "body": "pong",
            "m.relates_to": {"m.in_reply_to": {"event_id": source["event_id"]}},
        }
        await client.room_send(room_id, "m.room.message", reply)
        return
    copy = {
        "msgtype": "m.text",
        "body": f"{source['sender']}: {body}",
        "org.asamblea.baseline": {"source": source["event_id"]},
    }
    await client.room_send(other[room_id], "m.room.message", copy)


if __name__ == "__main__":
    asyncio.run(relay(*sys.argv[1:6]))
