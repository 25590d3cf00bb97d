"""The floor for mirroring: copy each message to the other room over plain HTTP, nothing else.

Only the client-server API, spoken with aiohttp: long-poll `/sync`, and `PUT .../send` each
message into the other room of its pair. No matrix-nio, no translation, no storage, no
formatting. The next `/sync` starts while copies are still being sent; each target room has one
sending queue, so copies keep their order. `!ping` is answered with `pong`, as a reply.

    python -m benchmarks.raw_relay HOMESERVER USER_ID ACCESS_TOKEN ROOM_A ROOM_B [ROOM_A ROOM_B ...]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from typing import Any
from urllib.parse import quote

import aiohttp

COPY_KEY = "org.asamblea.raw"
# The same timeline window Asamblea asks for, so that neither drops events in a burst.
SYNC_FILTER = json.dumps({"room": {"timeline": {"limit": 100}}, "presence": {"not_types": ["*"]}})
LONG_POLL_MS = 30_000


class RawRelay:
    def __init__(self, session: aiohttp.ClientSession, homeserver: str, user_id: str) -> None:
        self._session = session
        self._api = homeserver.rstrip("/") + "/_matrix/client/v3"
        self._user_id = user_id
        self._txn = itertools.count()
        self._outboxes: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._senders: list[asyncio.Task[None]] = []

    async def join(self, room_id: str) -> None:
        async with self._session.post(f"{self._api}/join/{quote(room_id)}", json={}) as response:
            response.raise_for_status()

    async def sync(self, since: str | None, timeout_ms: int) -> dict[str, Any]:
        params = {"filter": SYNC_FILTER, "timeout": str(timeout_ms)}
        if since:
            params["since"] = since
        async with self._session.get(f"{self._api}/sync", params=params) as response:
            response.raise_for_status()
            return await response.json()

    def post(self, room_id: str, content: dict[str, Any]) -> None:
        """Queue a message for a room; each room's queue is sent in order by its own task."""
        if room_id not in self._outboxes:
            self._outboxes[room_id] = asyncio.Queue()
            self._senders.append(
                asyncio.create_task(self._send_all(room_id, self._outboxes[room_id]))
            )
        self._outboxes[room_id].put_nowait(content)

    async def _send_all(self, room_id: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            content = await queue.get()
            txn = f"raw-{next(self._txn)}"
            url = f"{self._api}/rooms/{quote(room_id)}/send/m.room.message/{txn}"
            while True:  # the same transaction id: a retry can never post twice
                try:
                    async with self._session.put(url, json=content) as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)

    def handle(self, other: dict[str, str], room_id: str, event: dict[str, Any]) -> None:
        if event.get("type") != "m.room.message" or event.get("sender") == self._user_id:
            return
        body = (event.get("content") or {}).get("body")
        if room_id not in other or not isinstance(body, str):
            return
        if body == "!ping":
            reply = {"m.in_reply_to": {"event_id": event["event_id"]}}
            self.post(room_id, {"msgtype": "m.notice", "body": "pong", "m.relates_to": reply})
            return
        copy = {
            "msgtype": "m.text",
            "body": f"{event['sender']}: {body}",
            COPY_KEY: {"source": event["event_id"]},
        }
        self.post(other[room_id], copy)


async def relay(homeserver: str, user_id: str, token: str, rooms: list[str]) -> None:
    other: dict[str, str] = {}
    for a, b in zip(rooms[::2], rooms[1::2], strict=True):
        other[a], other[b] = b, a
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=LONG_POLL_MS / 1000 + 30)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
        bot = RawRelay(session, homeserver, user_id)
        for room_id in other:
            await bot.join(room_id)
        since = (await bot.sync(None, 0))["next_batch"]  # history is not relayed
        print("ready", flush=True)
        while True:
            try:
                batch = await bot.sync(since, LONG_POLL_MS)
            except (aiohttp.ClientError, TimeoutError):
                await asyncio.sleep(0.5)
                continue
            since = batch["next_batch"]
            for room_id, room in (batch.get("rooms") or {}).get("join", {}).items():
                for event in (room.get("timeline") or {}).get("events", []):
                    bot.handle(other, room_id, event)


if __name__ == "__main__":
    asyncio.run(relay(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
