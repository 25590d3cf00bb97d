"""A loopback proxy in front of the test homeserver that can answer like a homeserver in
trouble: 500 M_UNKNOWN (Synapse's answer to its own internal errors) to every message sent,
for as long as a test says."""

from __future__ import annotations

import time

import aiohttp
from aiohttp import web

# Requests that send something into a room: messages, reactions, redactions.
SENDING = ("/send/", "/redact/")
HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}


class FaultyProxy:
    def __init__(self, upstream: str) -> None:
        self._upstream = upstream.rstrip("/")
        self._failing_until = 0.0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.refused = 0  # sends answered with a 500
        self.url = ""

    async def start(self) -> FaultyProxy:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        return self

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_sends_for(self, seconds: float) -> None:
        self._failing_until = time.monotonic() + seconds

    @property
    def failing(self) -> bool:
        return time.monotonic() < self._failing_until

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        if self.failing and request.method == "PUT" and any(p in request.path for p in SENDING):
            self.refused += 1
            return web.json_response(
                {"errcode": "M_UNKNOWN", "error": "Internal server error"}, status=500
            )
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        async with self._session.request(
            request.method,
            self._upstream + request.path_qs,
            headers=headers,
            data=await request.read(),
        ) as upstream:
            body = await upstream.read()
            answer_headers = {
                k: v for k, v in upstream.headers.items() if k.lower() not in HOP_HEADERS
            }
            answer_headers.pop("Content-Encoding", None)
            return web.Response(status=upstream.status, body=body, headers=answer_headers)
