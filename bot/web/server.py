"""The meeting board over HTTP: its own aiohttp listener (`[board]`), inside the bot's event loop.

Every address but the style and the script holds an assembly's token, and a wrong or an old
token gets 404 with no data at all:

- `GET /board/{token}/`: the board's page (`?lang=es` for one language; otherwise every
  language side by side on a wide screen, the reader's own on a narrow one);
- `GET /board/{token}/events`: the board live, as server-sent events: the whole board on
  connecting and after each change, the time every 15 seconds;
- `GET /board/{token}/meetings`: the assembly's meetings, and `…/meetings/{id}` one meeting's
  minutes as HTML (the same as `!minutes` posts), so nobody has to download a file;
- `GET /board/static/{board.css,board.js}`: shipped inside the package.

Read-only: nothing here writes to the database or speaks in Matrix.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from bot.domain.assembly import Assembly
from bot.observability.server import ListenerError
from bot.render.board import STATIC_FILES, BoardPages, static_file
from bot.render.minutes import MinutesRenderer
from bot.services.board import BoardService
from bot.services.minutes import MeetingNotFound, MinutesService
from bot.services.people import People
from bot.settings import BoardSettings
from bot.storage.runtime_store import now_ms
from bot.web.live import Channel, LiveBoards

log = logging.getLogger(__name__)

# A viewer hears from the board at least this often (the time), so a dead connection shows.
TICK_SECONDS = 15.0
# What the browser waits before reconnecting after the connection drops, in milliseconds.
RETRY_MS = 1000
# Screens watching at once, all boards together: beyond it, a new one is asked to come back.
MAX_VIEWERS = 500

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# The minutes are one self-contained page: their style is inside them.
MINUTES_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
# The token is in every address: no page may hand it to another site in a Referer, and no
# cache or search engine keeps it.
COMMON_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}
EVENT_HEADERS = {
    **COMMON_HEADERS,
    "Content-Type": "text/event-stream; charset=utf-8",
    # nginx would otherwise hold the events back in its buffer.
    "X-Accel-Buffering": "no",
}


def event(name: str, data: bytes) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + data + b"\n\n"


def board_event(state: bytes, now: int) -> bytes:
    """The whole board, with the server's time for the screens' clocks."""
    return event("board", b'{"now":' + str(now).encode() + b',"board":' + state + b"}")


def tick_event(now: int) -> bytes:
    return event("tick", json.dumps({"now": now}).encode())


def chosen_language(request: web.Request, languages: Sequence[str]) -> tuple[str, bool]:
    """(the language to show first, whether it was asked for alone with `?lang=`)."""
    asked = request.query.get("lang", "")
    if asked in languages:
        return asked, True
    for part in request.headers.get("Accept-Language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in languages:
            return tag, False
    return languages[0], False


class BoardServer:
    def __init__(
        self,
        settings: BoardSettings,
        *,
        service: BoardService,
        live: LiveBoards,
        pages: BoardPages,
        minutes: MinutesService,
        minutes_renderer: MinutesRenderer,
        people: People,
        prefix: str,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._settings = settings
        self._service = service
        self._live = live
        self._pages = pages
        self._minutes = minutes
        self._minutes_renderer = minutes_renderer
        self._people = people
        self._prefix = prefix
        self._clock = clock
        self._runner: web.AppRunner | None = None
        self.port = settings.port  # the port listened on (the one the system gave, for port 0)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_common_headers])
        app.router.add_get("/board/static/{name}", self._static)
        app.router.add_get("/board/{token}", self._slash)
        app.router.add_get("/board/{token}/", self._page)
        # A HEAD there would hold a stream open with nothing to send; the page asks the board's
        # own address whether its link still opens anything.
        app.router.add_get("/board/{token}/events", self._events, allow_head=False)
        app.router.add_get("/board/{token}/meetings", self._meetings)
        app.router.add_get("/board/{token}/meetings/{meeting}", self._minutes_page)
        return app

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop`, keeping the watched boards live; then close every stream."""
        await self.start()
        try:
            await self._live.run(stop)
        finally:
            await self.close()

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.host, self._settings.port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            self._runner = None
            raise ListenerError(
                f"board.listen: cannot listen on {self._settings.host}:{self._settings.port} "
                f"({error.strerror or error})"
            ) from error
        self.port = _bound_port(self._runner.addresses) or self._settings.port
        log.info("meeting boards at %sboard/…", self._settings.base_url)

    async def close(self) -> None:
        await self._live.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- pages -------------------------------------------------------------------------------

    def _assembly(self, request: web.Request) -> Assembly:
        assembly = self._service.assembly_of(request.match_info["token"])
        if assembly is None:
            raise web.HTTPNotFound(text="Not found")
        return assembly

    async def _slash(self, request: web.Request) -> web.Response:
        self._assembly(request)
        # Relative, so that it holds behind a reverse proxy that serves the board under a path.
        raise web.HTTPPermanentRedirect(location=f"{request.match_info['token']}/")

    async def _page(self, request: web.Request) -> web.Response:
        assembly = self._assembly(request)
        languages = _languages(assembly)
        primary, single = chosen_language(request, languages)
        page = self._pages.board(
            assembly.name, languages, primary, single=single, prefix=self._prefix
        )
        return _html(page, PAGE_POLICY)

    async def _meetings(self, request: web.Request) -> web.Response:
        assembly = self._assembly(request)
        language, _ = chosen_language(request, _languages(assembly))
        zone = next(room.timezone for room in assembly.rooms if room.language == language)
        meetings = await self._service.meetings(assembly)
        return _html(self._pages.meetings(assembly.name, meetings, language, zone), PAGE_POLICY)

    async def _minutes_page(self, request: web.Request) -> web.Response:
        assembly = self._assembly(request)
        number = request.match_info["meeting"]
        if not number.isascii() or not number.isdigit():
            raise web.HTTPNotFound(text="Not found")
        try:
            meeting = await self._minutes.meeting(assembly.name, int(number))
        except MeetingNotFound:
            raise web.HTTPNotFound(text="Not found") from None
        data = await self._minutes.build(
            meeting,
            assembly.rooms,
            name_of=lambda user: self._people.display_name(assembly, user),
            center_of=lambda user: self._people.center_of(assembly, user),
        )
        languages = _languages(assembly)
        primary, single = chosen_language(request, languages)
        shown = [primary] if single else [primary, *(x for x in languages if x != primary)]
        return _html(self._minutes_renderer.html(data, shown), MINUTES_POLICY)

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound(text="Not found")
        return web.Response(
            body=static_file(name),
            headers={"Content-Type": STATIC_FILES[name], "Cache-Control": "no-cache"},
        )

    # -- the live board ----------------------------------------------------------------------

    async def _events(self, request: web.Request) -> web.StreamResponse:
        assembly = self._assembly(request)
        if self._live.viewers >= MAX_VIEWERS:
            raise web.HTTPServiceUnavailable(text="Too many screens", headers={"Retry-After": "30"})
        token = request.match_info["token"]
        response = web.StreamResponse(headers=EVENT_HEADERS)
        await response.prepare(request)
        await response.write(f"retry: {RETRY_MS}\n\n".encode())
        async with self._live.watch(assembly) as channel:
            # A viewer who closed the page ends the stream quietly.
            with contextlib.suppress(ConnectionError):
                await self._stream(response, channel, token)
        return response

    async def _stream(self, response: web.StreamResponse, channel: Channel, token: str) -> None:
        """The board now, then each new state, and the time when nothing changes; until the
        viewer leaves, the link changes, or the bot stops."""
        sent = 0
        while not self._live.closed and self._service.assembly_of(token) is not None:
            if channel.state is not None and channel.version != sent:
                sent = channel.version
                await response.write(board_event(channel.state, self._clock()))
            else:
                await response.write(tick_event(self._clock()))
            pulse = channel.pulse
            if channel.version == sent:
                await self._live.wait(channel, pulse, TICK_SECONDS)


@web.middleware
async def _common_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        # Refusals (a wrong token's 404 among them) say no more than their status.
        return web.Response(
            status=error.status,
            text=error.text,
            headers={**_kept(error.headers), **COMMON_HEADERS},
        )
    if not response.prepared:  # a stream set its own before it began
        for name, value in COMMON_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def _kept(headers: Any) -> dict[str, str]:
    """Of a refusal's headers, where a redirect points."""
    return {name: value for name, value in headers.items() if name.lower() == "location"}


def _html(page: str, policy: str) -> web.Response:
    return web.Response(
        text=page,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Security-Policy": policy},
    )


def _languages(assembly: Assembly) -> list[str]:
    return list(dict.fromkeys(room.language for room in assembly.rooms))


def _bound_port(addresses: Sequence[Any]) -> int | None:
    for address in addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None
