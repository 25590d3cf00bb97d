"""A real browser for the tests: headless Chromium, driven over the DevTools protocol.

One Chromium process, one page in it. The page is read the way a person reads it, from its DOM
as laid out (`evaluate`), polled until what the test waits for is there (`wait_for`, which also
says how long that took). Screenshots and the window's size go through the same protocol.
aiohttp's websocket client speaks it; nothing else is installed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
START_SECONDS = 30.0
POLL_SECONDS = 0.02


class BrowserError(RuntimeError):
    """Chromium said no (a script that threw, a protocol error)."""


class Page:
    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            waiting = self._waiting.pop(data.get("id", -1), None)
            if waiting is not None and not waiting.done():
                waiting.set_result(data)
        for waiting in self._waiting.values():
            if not waiting.done():
                waiting.set_exception(BrowserError("the browser closed the connection"))

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        answer = self._waiting[number] = asyncio.get_running_loop().create_future()
        await self._socket.send_json({"id": number, "method": method, "params": params})
        data = await asyncio.wait_for(answer, 30)
        if "error" in data:
            raise BrowserError(f"{method}: {data['error']}")
        return data.get("result", {})

    async def size(self, width: int, height: int) -> None:
        """The window as a screen of that size would give it (a projector, a phone)."""
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )

    async def open(self, url: str) -> None:
        await self.call("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'")

    async def evaluate(self, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 10.0) -> float:
        """Seconds until `expression` is true in the page; TimeoutError after `timeout`, with
        what the page said last."""
        started = time.monotonic()
        while True:
            if await self.evaluate(f"Boolean({expression})"):
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                text = await self.evaluate("document.body ? document.body.innerText : ''")
                raise TimeoutError(f"not true after {timeout} s: {expression}\n{text[:3000]}")
            await asyncio.sleep(POLL_SECONDS)

    async def screenshot(self, path: Path) -> Path:
        data = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(data["data"]))
        return path

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._socket.close()


@contextlib.asynccontextmanager
async def chromium_page(folder: Path) -> AsyncIterator[Page]:
    """A headless Chromium with one blank page, for as long as the block lasts."""
    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed")
    profile = folder / "chromium-profile"
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as session:
            port = await _debugging_port(profile, process)
            page = await _first_page(session, port)
            try:
                yield page
            finally:
                await page.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


async def _debugging_port(profile: Path, process: subprocess.Popen[bytes]) -> int:
    """Chromium writes the port it took into its profile."""
    written = profile / "DevToolsActivePort"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrowserError(f"chromium exited with status {process.returncode}")
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            return int(written.read_text().splitlines()[0])
        await asyncio.sleep(0.05)
    raise TimeoutError("chromium did not open its debugging port")


async def _first_page(session: aiohttp.ClientSession, port: int) -> Page:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                socket = await session.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
                page = Page(socket)
                await page.call("Page.enable")
                await page.call("Runtime.enable")
                return page
        await asyncio.sleep(0.05)
    raise TimeoutError("chromium showed no page")
