"""A scripted Matrix user for integration tests.

A ``Person`` wraps a matrix-nio ``AsyncClient`` logged in with an existing
access token, syncs in the background and records every event it sees so
tests can wait for (or count) what the bot did.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    Event,
    MessageDirection,
    RoomCreateResponse,
    RoomSendResponse,
    SyncResponse,
)

from bot.cli.devserver import RegisteredAccount
from tests.harness.reading import as_read

log = logging.getLogger(__name__)

Predicate = Callable[[str, Event], bool]
Recorded = tuple[str, Event]

# Short long-poll so stop() never waits long for an in-flight /sync.
SYNC_TIMEOUT_MS = 1000
# Big enough that bursts from the bot rarely produce a "limited" timeline;
# if one does, the gap is back-filled with /messages.
TIMELINE_LIMIT = 100
_SYNC_FILTER: dict[str, Any] = {
    "room": {"timeline": {"limit": TIMELINE_LIMIT}},
    "presence": {"not_types": ["*"]},
}


class MatrixRequestError(RuntimeError):
    """A request made by a test person was refused by the homeserver."""


def type_of(event: Event) -> str | None:
    """The Matrix event type, also for nio's UnknownEvent / stripped invites."""
    return event.source.get("type")


def content_of(event: Event) -> dict[str, Any]:
    return event.source.get("content") or {}


def body_of(event: Event) -> str | None:
    """The body as a person reads it (`tests.harness.reading`); `content_of` has it raw."""
    body = content_of(event).get("body")
    return as_read(body) if isinstance(body, str) else None


def describe(room_id: str, event: Event) -> str:
    """One line per event, for assertion messages."""
    body = body_of(event)
    text = f" {body!r}" if body is not None else ""
    return f"{room_id} {event.source.get('sender')} {type_of(event)}{text}"


async def first_event(
    events: Sequence[tuple[str, Any]],
    cond: asyncio.Condition,
    predicate: Callable[[str, Any], bool],
    since: int,
) -> Any:
    """The first of `events` at or after `since` with `predicate(room_id, event)`, waiting on
    `cond` (notified whenever an event is added) until one comes."""
    position = since
    async with cond:
        while True:
            for room_id, event in events[position:]:
                if predicate(room_id, event):
                    return event
            position = max(position, len(events))
            await cond.wait()


def _timestamp(event: Event) -> int:
    ts = event.source.get("origin_server_ts")
    return ts if isinstance(ts, int) else 1 << 62  # stripped invite state has none: keep it


def _check(response: Any, action: str) -> Any:
    # nio returns error objects instead of raising; make failures loud.
    if isinstance(response, ErrorResponse):
        raise MatrixRequestError(f"{action} failed: {response.status_code} {response.message}")
    return response


def _restore_content(event: Event) -> Event:
    # nio's InviteMemberEvent.from_dict pops "content" out of the source dict;
    # put it back so every recorded event.source is the full Matrix event.
    content = getattr(event, "content", None)
    if "content" not in event.source and isinstance(content, dict):
        event.source["content"] = content
    return event


class Person:
    """One test user; ``await start()`` before use and ``await stop()`` after."""

    def __init__(
        self,
        homeserver: str,
        account: RegisteredAccount,
        config: AsyncClientConfig | None = None,
    ) -> None:
        self.account = account
        self.user_id = account.user_id
        # Retry quickly when the homeserver is briefly down (fault tests).
        config = config or AsyncClientConfig(
            encryption_enabled=False,
            store_sync_tokens=False,
            max_timeout_retry_wait_time=2,
        )
        self.client = AsyncClient(homeserver, account.user_id, config=config)
        self.client.restore_login(account.user_id, account.device_id, account.access_token)
        self.events: list[Recorded] = []
        self.last_sync_error: str | None = None
        self._seen_ids: set[str] = set()
        self._cond = asyncio.Condition()
        self._since: str | None = None
        self._sync_count = 0
        self._task: asyncio.Task[None] | None = None
        self._born_ms = int(time.time() * 1000)

    def __repr__(self) -> str:
        return f"Person({self.user_id})"

    # -- lifecycle ----------------------------------------------------------------

    async def start(self) -> None:
        """Do the initial sync (so later events are "new"), then keep syncing."""
        if self._task is not None:
            return
        await self._sync_once(timeout_ms=0, initial=True)
        self._task = asyncio.create_task(self._sync_loop(), name=f"sync-{self.user_id}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.client.close()

    async def __aenter__(self) -> Person:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- syncing ------------------------------------------------------------------

    async def _sync_loop(self) -> None:
        while True:
            try:
                await self._sync_once(timeout_ms=SYNC_TIMEOUT_MS, initial=False)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # keep syncing; tests see the error on timeout
                self.last_sync_error = repr(err)
                log.warning("%s: sync failed: %r", self.user_id, err)
                await asyncio.sleep(0.5)

    async def _sync_once(self, timeout_ms: int, initial: bool) -> None:
        response = await self.client.sync(
            timeout=timeout_ms, sync_filter=_SYNC_FILTER, since=self._since
        )
        if not isinstance(response, SyncResponse):
            self.last_sync_error = f"{response.status_code} {response.message}"
            if initial:
                raise MatrixRequestError(f"initial sync failed: {self.last_sync_error}")
            await asyncio.sleep(0.5)
            return
        # What the first sync returns is history from earlier tests: not this test's events.
        new = [] if initial else await self._collect(response, backfill=True)
        # The homeserver sometimes hands an old event of a room left long ago to a new session
        # (seen with malformed relations): anything older than this person is not theirs to see.
        new = [(room, event) for room, event in new if _timestamp(event) >= self._born_ms]
        async with self._cond:
            self._since = response.next_batch
            self._sync_count += 1
            self._record(new)
            self._cond.notify_all()

    async def _collect(self, response: SyncResponse, backfill: bool) -> list[Recorded]:
        new: list[Recorded] = []
        for room_id, info in response.rooms.invite.items():
            new.extend((room_id, _restore_content(event)) for event in info.invite_state)
        for rooms in (response.rooms.join, response.rooms.leave):
            for room_id, room in rooms.items():
                timeline = room.timeline
                if backfill and timeline.limited and timeline.prev_batch and self._since:
                    new.extend(await self._fetch_gap(room_id, timeline.prev_batch, self._since))
                new.extend((room_id, event) for event in timeline.events)
        return new

    async def _fetch_gap(self, room_id: str, start: str, until: str) -> list[Recorded]:
        """Events a limited sync skipped: page back from ``start`` to ``until``."""
        missing: list[Event] = []
        token: str | None = start
        while token:
            response = _check(
                await self.client.room_messages(
                    room_id, start=token, end=until, direction=MessageDirection.back, limit=100
                ),
                f"back-filling {room_id}",
            )
            if not response.chunk or response.end == token:
                break
            missing.extend(response.chunk)
            token = response.end
        return [(room_id, event) for event in reversed(missing)]

    def _record(self, new: Iterable[Recorded]) -> None:
        for room_id, event in new:
            event_id = event.source.get("event_id")
            if event_id is not None:
                if event_id in self._seen_ids:
                    continue
                self._seen_ids.add(event_id)
            self.events.append((room_id, event))

    # -- querying recorded events ---------------------------------------------

    def mark(self) -> int:
        """A position in the event log; pass as ``since`` to ignore older events."""
        return len(self.events)

    async def wait_for(self, predicate: Predicate, timeout: float = 20.0, since: int = 0) -> Event:
        """The first event at or after ``since`` with ``predicate(room_id, event)``."""
        try:
            return await asyncio.wait_for(
                first_event(self.events, self._cond, predicate, since), timeout
            )
        except TimeoutError:
            raise TimeoutError(self._timeout_report(timeout, since)) from None

    async def wait_for_text(
        self,
        room_id: str,
        contains: str,
        sender: str | None = None,
        timeout: float = 20.0,
        since: int = 0,
    ) -> Event:
        """A message in ``room_id`` whose body contains ``contains``."""

        def matches(event_room: str, event: Event) -> bool:
            body = body_of(event)
            return (
                event_room == room_id
                and body is not None
                and contains in body
                and (sender is None or event.source.get("sender") == sender)
            )

        return await self.wait_for(matches, timeout=timeout, since=since)

    async def wait_for_invite(
        self, room_id: str | None = None, timeout: float = 20.0, since: int = 0
    ) -> str:
        """Room id of an invite for this person (optionally a specific room)."""
        found: list[str] = []

        def matches(event_room: str, event: Event) -> bool:
            content = content_of(event)
            hit = (
                type_of(event) == "m.room.member"
                and event.source.get("state_key") == self.user_id
                and content.get("membership") == "invite"
                and (room_id is None or event_room == room_id)
            )
            if hit:
                found.append(event_room)
            return hit

        await self.wait_for(matches, timeout=timeout, since=since)
        return found[0]

    async def next_sync(self, timeout: float = 10.0) -> None:
        """Wait until a sync that started after this call has been recorded.

        Useful before asserting that something did *not* happen.
        """
        async with self._cond:
            target = self._sync_count + 2
            await asyncio.wait_for(self._cond.wait_for(lambda: self._sync_count >= target), timeout)

    async def events_in(
        self, room_id: str, predicate: Predicate | None = None, since: int = 0
    ) -> list[Event]:
        async with self._cond:
            return [
                event
                for event_room, event in self.events[since:]
                if event_room == room_id and (predicate is None or predicate(event_room, event))
            ]

    def count(
        self, room_id: str | None = None, predicate: Predicate | None = None, since: int = 0
    ) -> int:
        return sum(
            1
            for event_room, event in self.events[since:]
            if (room_id is None or event_room == room_id)
            and (predicate is None or predicate(event_room, event))
        )

    def _timeout_report(self, timeout: float, since: int) -> str:
        recent = self.events[since:][-15:]
        lines = [describe(room_id, event) for room_id, event in recent] or ["(none)"]
        error = f"\nlast sync error: {self.last_sync_error}" if self.last_sync_error else ""
        return (
            f"{self.user_id}: no matching event within {timeout}s; "
            f"{len(self.events) - since} event(s) since mark {since}, most recent:\n  "
            + "\n  ".join(lines)
            + error
        )

    # -- actions ---------------------------------------------------------------------

    async def send_content(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        response = _check(
            await self.client.room_send(
                room_id, event_type, content, ignore_unverified_devices=True
            ),
            f"{self.user_id} sending {event_type} to {room_id}",
        )
        assert isinstance(response, RoomSendResponse)
        return response.event_id

    async def send_text(self, room_id: str, body: str, **extra_content: Any) -> str:
        content = {"msgtype": "m.text", "body": body, **extra_content}
        return await self.send_content(room_id, "m.room.message", content)

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        relation = {"rel_type": "m.annotation", "event_id": event_id, "key": key}
        return await self.send_content(room_id, "m.reaction", {"m.relates_to": relation})

    async def edit(self, room_id: str, event_id: str, new_body: str) -> str:
        new_content = {"msgtype": "m.text", "body": new_body}
        return await self.send_text(
            room_id,
            f"* {new_body}",
            **{
                "m.new_content": new_content,
                "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
            },
        )

    async def redact(self, room_id: str, event_id: str, reason: str | None = None) -> str:
        response = _check(
            await self.client.room_redact(room_id, event_id, reason=reason),
            f"{self.user_id} redacting {event_id}",
        )
        return response.event_id

    async def create_room(
        self,
        name: str | None = None,
        invite: Sequence[str] = (),
        topic: str | None = None,
        is_direct: bool = False,
        power_level_override: dict[str, Any] | None = None,
    ) -> str:
        response = _check(
            await self.client.room_create(
                name=name,
                topic=topic,
                invite=list(invite),
                is_direct=is_direct,
                power_level_override=power_level_override,
            ),
            f"{self.user_id} creating room {name!r}",
        )
        assert isinstance(response, RoomCreateResponse)
        return response.room_id

    async def join(self, room_id: str) -> None:
        _check(await self.client.join(room_id), f"{self.user_id} joining {room_id}")

    async def leave(self, room_id: str) -> None:
        _check(await self.client.room_leave(room_id), f"{self.user_id} leaving {room_id}")

    async def invite(self, room_id: str, user_id: str) -> None:
        _check(
            await self.client.room_invite(room_id, user_id),
            f"{self.user_id} inviting {user_id} to {room_id}",
        )

    async def set_display_name(self, name: str) -> None:
        _check(await self.client.set_displayname(name), f"{self.user_id} setting display name")
