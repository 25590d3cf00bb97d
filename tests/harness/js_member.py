"""A member whose client is matrix-js-sdk with its Rust crypto, the stack Element is built on.

A ``JsMember`` runs ``tests/jsclient/member.mjs`` in Node, which logs in to a new device with
the account's password, and drives it over JSON lines (the protocol is described at the top of
member.mjs). It records every event the member reads, decrypted where its client could, and
waits for them the way ``Person`` does: predicates take ``(room_id, event)`` and an event has a
``source`` dict, so the helpers in person.py and matchers.py work on it unchanged.

Node and the SDK (``npm ci`` in tests/jsclient) are needed; without them the test is skipped,
except in CI, where it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import shutil
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.cli.devserver import RegisteredAccount
from tests.harness.person import content_of, describe, first_event, type_of

log = logging.getLogger(__name__)

JSCLIENT = Path(__file__).resolve().parents[1] / "jsclient"
MEMBER_SCRIPT = JSCLIENT / "member.mjs"

# Loading the crypto WebAssembly, logging in and the first sync take a few seconds on a busy box.
START_TIMEOUT = 60.0
COMMAND_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
STDERR_LINES_KEPT = 200


class JsMemberError(RuntimeError):
    """The js client refused a command, or stopped answering."""


@dataclass(frozen=True)
class SeenEvent:
    """One event as the member reads it: ``source`` is the (decrypted) Matrix event."""

    source: dict[str, Any]
    encrypted: bool
    decryption_failure: str | None = None

    @classmethod
    def from_report(cls, report: dict[str, Any]) -> SeenEvent:
        source = dict(report)
        encrypted = bool(source.pop("encrypted", False))
        failure = source.pop("decryption_failure", None)
        return cls(source=source, encrypted=encrypted, decryption_failure=failure)


Predicate = Callable[[str, SeenEvent], bool]


def require_js_client() -> None:
    """Skip the test when Node or the SDK is missing; in CI (CI=true) fail instead."""
    missing = []
    if shutil.which("node") is None:
        missing.append("node is not installed")
    if not (JSCLIENT / "node_modules" / "matrix-js-sdk").is_dir():
        missing.append("matrix-js-sdk is not installed (run `npm ci` in tests/jsclient)")
    if not missing:
        return
    reason = "the matrix-js-sdk member cannot run: " + "; ".join(missing)
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


class JsMember:
    """One test user on an Element-like client; ``await start()`` before use, ``stop()`` after."""

    def __init__(
        self, homeserver: str, account: RegisteredAccount, device_name: str = "Element-like member"
    ) -> None:
        self.account = account
        self.user_id = account.user_id
        self.device_id = ""
        self.events: list[tuple[str, SeenEvent]] = []
        self._homeserver = homeserver
        self._device_name = device_name
        self._process: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task[None]] = []
        self._ready: asyncio.Future[dict[str, Any]] | None = None
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._cond = asyncio.Condition()
        self._stderr: deque[str] = deque(maxlen=STDERR_LINES_KEPT)

    def __repr__(self) -> str:
        return f"JsMember({self.user_id} {self.device_id})"

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the client; returns once it has synced and published its device's keys."""
        require_js_client()
        self._ready = asyncio.get_running_loop().create_future()
        self._process = await asyncio.create_subprocess_exec(
            "node",
            str(MEMBER_SCRIPT),
            self._homeserver,
            self.user_id,
            self._device_name,
            cwd=JSCLIENT,
            env={**os.environ, "MEMBER_PASSWORD": self.account.password},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=1 << 24,  # one event a line, and an event may be large
        )
        self._readers = [
            asyncio.create_task(self._read_stdout(), name=f"js-{self.user_id}-out"),
            asyncio.create_task(self._read_stderr(), name=f"js-{self.user_id}-err"),
        ]
        try:
            ready = await asyncio.wait_for(asyncio.shield(self._ready), START_TIMEOUT)
        except (TimeoutError, JsMemberError) as err:
            await self._kill()
            raise JsMemberError(
                f"{self.user_id}: the js client did not start: {err}\n" + self.stderr_tail()
            ) from None
        self.device_id = ready["device_id"]

    async def stop(self) -> None:
        """Log out (deleting the device, so later tests never encrypt for it) and exit."""
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(JsMemberError, ConnectionError):
                await self.command("stop", timeout=STOP_TIMEOUT)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        await self._kill()

    async def _kill(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        for reader in self._readers:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        self._readers = []

    async def __aenter__(self) -> JsMember:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- talking to the client ----------------------------------------------------------------

    async def command(self, cmd: str, timeout: float = COMMAND_TIMEOUT, **args: Any) -> Any:
        """Send one command and return what the client answered with (``ok``)."""
        process = self._process
        if process is None or process.stdin is None or process.returncode is not None:
            raise JsMemberError(f"{self.user_id}: the js client is not running")
        request_id = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self._pending[request_id] = answer
        process.stdin.write(json.dumps({"id": request_id, "cmd": cmd, **args}).encode() + b"\n")
        await process.stdin.drain()
        try:
            reply = await asyncio.wait_for(answer, timeout)
        except TimeoutError:
            raise JsMemberError(f"{self.user_id}: no answer to {cmd} within {timeout}s") from None
        finally:
            self._pending.pop(request_id, None)
        if "error" in reply:
            raise JsMemberError(f"{self.user_id}: {cmd} failed: {reply['error']}")
        return reply["ok"]

    async def _read_stdout(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        while line := await stdout.readline():
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                log.warning("%s: not a protocol line: %r", self.user_id, line)
                continue
            await self._receive(message)
        self._fail_all(JsMemberError(f"{self.user_id}: the js client exited\n{self.stderr_tail()}"))

    async def _receive(self, message: dict[str, Any]) -> None:
        if "event" in message:
            event = SeenEvent.from_report(message["event"])
            async with self._cond:
                self.events.append((event.source.get("room_id") or "", event))
                self._cond.notify_all()
        elif "reply" in message:
            answer = self._pending.get(message["reply"])
            if answer is not None and not answer.done():
                answer.set_result(message)
        elif "ready" in message and self._ready is not None and not self._ready.done():
            self._ready.set_result(message["ready"])

    def _fail_all(self, error: JsMemberError) -> None:
        waiting = [*self._pending.values(), self._ready]
        for future in waiting:
            if future is not None and not future.done():
                future.set_exception(error)

    async def _read_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        stderr = self._process.stderr
        while line := await stderr.readline():
            self._stderr.append(line.decode(errors="replace").rstrip())

    def stderr_tail(self, lines: int = 30) -> str:
        """The client's last log lines, for failure messages."""
        return "\n".join(list(self._stderr)[-lines:])

    # -- actions ------------------------------------------------------------------------------

    async def send_text(self, room_id: str, body: str) -> str:
        return (await self.command("send", room=room_id, body=body))["event_id"]

    async def send_content(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        reply = await self.command("send_event", room=room_id, type=event_type, content=content)
        return reply["event_id"]

    async def respond(self, room_id: str, poll_id: str, answers: list[str]) -> str:
        """Answer a poll as Element does when an option is picked (a native poll response)."""
        reply = await self.command("respond", room=room_id, poll=poll_id, answers=answers)
        return reply["event_id"]

    async def join(self, room_id: str) -> None:
        """Join, and return once the room's state (its encryption too) has been synced."""
        await self.command("join", room=room_id)

    async def leave(self, room_id: str) -> None:
        await self.command("leave", room=room_id)

    async def create_room(
        self,
        name: str | None = None,
        invite: list[str] | None = None,
        encrypted: bool = True,
        is_direct: bool = False,
    ) -> str:
        reply = await self.command(
            "create_room", name=name, invite=invite or [], encrypted=encrypted, is_direct=is_direct
        )
        return reply["room_id"]

    # -- waiting for what the member reads ----------------------------------------------------

    def mark(self) -> int:
        """A position in the event log; pass as ``since`` to ignore older events."""
        return len(self.events)

    async def wait_for(
        self, predicate: Predicate, timeout: float = 20.0, since: int = 0
    ) -> SeenEvent:
        """The first event at or after ``since`` with ``predicate(room_id, event)``."""
        try:
            return await asyncio.wait_for(
                first_event(self.events, self._cond, predicate, since), timeout
            )
        except TimeoutError:
            raise TimeoutError(self._timeout_report(timeout, since)) from None

    async def wait_for_invite(
        self, room_id: str | None = None, timeout: float = 20.0, since: int = 0
    ) -> str:
        """Room id of an invite for this member (optionally a specific room)."""

        def invited(event_room: str, event: SeenEvent) -> bool:
            return (
                type_of(event) == "m.room.member"
                and event.source.get("state_key") == self.user_id
                and content_of(event).get("membership") == "invite"
                and (room_id is None or event_room == room_id)
            )

        event = await self.wait_for(invited, timeout=timeout, since=since)
        return event.source["room_id"]

    def _timeout_report(self, timeout: float, since: int) -> str:
        recent = self.events[since:][-15:]
        lines = [
            describe(room_id, event)
            + (" (encrypted)" if event.encrypted else "")
            + (f" (unreadable: {event.decryption_failure})" if event.decryption_failure else "")
            for room_id, event in recent
        ] or ["(none)"]
        return (
            f"{self.user_id} (js client): no matching event within {timeout}s; "
            f"{len(self.events) - since} event(s) since mark {since}, most recent:\n  "
            + "\n  ".join(lines)
            + f"\nclient log:\n{self.stderr_tail(15)}"
        )
