"""Login, the sync loop and invites.

The sync position is stored only after every event of a batch has been handled, and each event
id is recorded when handled, so a crash at any point neither loses nor repeats an event. The
events of a sync go to the handler together, to be handled in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    MegolmEvent,
    MessageDirection,
    RoomMessagesResponse,
    SyncResponse,
    UploadFilterResponse,
)

from bot.config import MatrixSettings
from bot.domain.events import IncomingEvent, normalize
from bot.matrix.backoff import Backoff
from bot.matrix.encryption import CryptoStore, Encryption, prepare_store
from bot.matrix.invites import DirectInvites, Invites
from bot.matrix.session import FatalMatrixError
from bot.storage.runtime_store import RuntimeStore, now_ms

log = logging.getLogger(__name__)

SYNC_TOKEN = "matrix.sync_token"


def sync_filter(room_ids: Iterable[str]) -> dict[str, Any]:
    # Only the configured rooms: the bot's account may sit in many others, which are no concern
    # of its and would make every sync (and the first one above all) slower. Nor does it read
    # typing notices, read receipts or the rooms' account data: each would wake the sync loop
    # (someone typing, someone reading) for nothing.
    return {
        "room": {
            "rooms": sorted(room_ids),
            "timeline": {"limit": 100},
            "ephemeral": {"not_types": ["*"]},
            "account_data": {"not_types": ["*"]},
        },
        "presence": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    }


BACKFILL_LIMIT = 1000
# Handled event ids are kept this long (a sync or back-fill never reaches further back) and
# pruned this often; sent messages and other leftovers are pruned at the same time.
HANDLED_MEMORY_MS = 30 * 24 * 3600 * 1000
FORGET_EVERY_SECONDS = 3600.0

# Handles the events of one sync (or of one room), in order.
EventHandler = Callable[[list[IncomingEvent]], Awaitable[None]]
# One pruning step: given the cutoff (epoch ms), forget what is older; returns how many rows.
PruningStep = Callable[[int], Awaitable[int]]


def make_client(settings: MatrixSettings) -> AsyncClient:
    # Connection errors surface at once so our own backoff (which logs and honours stop) applies;
    # rate limits are left to nio, which waits for retry_after_ms and tries again.
    config = AsyncClientConfig(
        max_timeouts=0,
        max_limit_exceeded=None,
        store_sync_tokens=False,
        encryption_enabled=settings.encryption.enabled,
        store=CryptoStore,
    )
    return AsyncClient(
        settings.homeserver,
        settings.user_id,
        store_path=prepare_store(settings.encryption),
        config=config,
    )


class SyncedRooms:
    """The rooms the sync loop brings in: the configured rooms, and the direct chats watched
    from when they are made or joined. A room newly watched cuts the long-poll in flight short
    (it was asked with the old filter), and the next sync brings every room's whole state, so
    the new room arrives with its encryption and members wherever it began."""

    def __init__(self, room_ids: Iterable[str] = ()) -> None:
        self.ids: set[str] = set(room_ids)
        self.changed = asyncio.Event()
        self.state_wanted = False

    def __contains__(self, room_id: object) -> bool:
        return room_id in self.ids

    def watch(self, room_id: str) -> None:
        """Sync `room_id` from now on, starting with its whole state."""
        if room_id in self.ids:
            return
        self.ids.add(room_id)
        self.want_state()
        self.changed.set()

    def want_state(self) -> None:
        """The next sync brings every room's whole state."""
        self.state_wanted = True

    def take_state_wanted(self) -> bool:
        """Whether the sync about to be asked for should bring the whole state (asked once)."""
        wanted, self.state_wanted = self.state_wanted, False
        return wanted


class SyncVitals:
    """For /health, the sync lag and everyone waiting for the first sync: whether the loop
    runs, when (time.monotonic) it last handled a sync, and whether it has synced at all."""

    def __init__(self) -> None:
        self.syncing = False
        self.last_sync: float | None = None
        self.first_sync = asyncio.Event()

    def seconds_since_sync(self) -> float | None:
        return None if self.last_sync is None else time.monotonic() - self.last_sync

    def running(self, syncing: bool) -> None:
        self.syncing = syncing

    def synced(self) -> None:
        """A sync has been handled, just now."""
        self.last_sync = time.monotonic()
        self.first_sync.set()


class MatrixRuntime:
    def __init__(
        self,
        client: AsyncClient,
        settings: MatrixSettings,
        store: RuntimeStore,
        on_events: EventHandler,
        *,
        rooms: SyncedRooms,
        vitals: SyncVitals | None = None,
        direct_chats: DirectInvites | None = None,
        pruning: Sequence[tuple[str, PruningStep]] = (),
        sync_timeout_ms: int = 30_000,
        backoff: Backoff | None = None,
        crypto: Encryption | None = None,
        on_synced: Callable[[], None] = lambda: None,
    ) -> None:
        self.client = client
        # Told after every sync handled: messages held until a room came in may go now.
        self._on_synced = on_synced
        self._crypto = crypto
        self._settings = settings
        self._store = store
        self._on_events = on_events
        self._sync_timeout_ms = sync_timeout_ms
        self._backoff = backoff or Backoff(initial=1.0, maximum=60.0)
        self.rooms = rooms
        self.vitals = vitals or SyncVitals()
        self.invites = Invites(client, settings.user_id, lambda: rooms.ids, direct_chats)
        self._next_forget = 0.0
        # More tables the hourly pruning keeps small (each feature names its own), by name.
        self._pruning = tuple(pruning)
        # The sync filter uploaded for a set of rooms, and its id on the homeserver.
        self._filter: tuple[frozenset[str], str] | None = None

    @property
    def first_sync_done(self) -> asyncio.Event:
        return self.vitals.first_sync

    @property
    def user_id(self) -> str:
        return self._settings.user_id

    async def join_missing(self, entered: Collection[str] = ()) -> None:
        """Join the configured rooms the bot is not in (nor has just `entered`): a room open to
        anyone needs no invite."""
        for room_id in sorted(self.rooms.ids - set(self.client.rooms) - set(entered)):
            response = await self.client.join(room_id)
            if isinstance(response, JoinResponse):
                log.info("joined %s (a configured room)", room_id)
            else:
                log.warning("cannot join %s yet (invite the bot there): %s", room_id, response)

    async def run(self, stop: asyncio.Event) -> None:
        """Sync until `stop` is set, retrying homeserver errors with exponential backoff."""
        self.vitals.running(True)
        try:
            await self._sync_until(stop)
        finally:
            self.vitals.running(False)

    async def _sync_until(self, stop: asyncio.Event) -> None:
        if self._crypto is not None and self._crypto.enabled:
            if problem := self._crypto.problem():
                raise FatalMatrixError(problem)
            log.info("end-to-end encryption on: %s", self._crypto.identity())
            await self._upkeep()  # our keys go up before anyone needs them
            await self._crypto.settle_identity(self._settings.password)
        # Read once: from here on the loop knows where it stands, and only writes it down.
        token = await self._store.get_value(SYNC_TOKEN)
        while not stop.is_set():
            try:
                response = await self._sync_once(token)
            except (OSError, TimeoutError) as error:
                log.warning("sync failed (%s); retrying", error)
                await self._backoff.wait(stop)
                continue
            if response is None:
                continue  # cut short for a newly watched room: asked again at once
            if not isinstance(response, SyncResponse):
                self._check_fatal(response)
                log.warning("sync error: %s; retrying", response)
                await self._backoff.wait(stop)
                continue
            self._backoff.reset()
            try:
                eventful = await self._process(response, first=token is None)
            except Exception:
                # The dispatcher answers for bugs in handlers; what reaches here is the bot's own
                # footing failing (the database, say). The sync position stays where it was, so
                # the batch comes again and the events not yet handled are handled then.
                log.exception("handling a sync batch failed; it will be fetched again")
                await self._backoff.wait(stop)
                continue
            await self._upkeep()
            await self._forget_old_events()
            if eventful or token is None:
                # A sync that brought nothing to handle (the bot's own copies coming back) is
                # not written down: started again from the position before it, the bot would
                # only be shown its own messages again, which it ignores.
                await self._store.set_value(SYNC_TOKEN, response.next_batch)
            if not self.first_sync_done.is_set():
                await self._enter_rooms(response, first=token is None)
            token = response.next_batch
            self.vitals.synced()
            self._on_synced()

    async def _sync_once(self, token: str | None) -> Any:
        """One /sync, or None if a room was newly watched meanwhile. The request is cut short
        only while it waits for the homeserver: nio handles a response only once it has read
        it whole, with no pause in between, so nothing of a cut-short sync has been taken in,
        and the next one, from the same position, brings it all again."""
        rooms = self.rooms
        rooms.changed.clear()
        # nio keeps no state between runs: without the full state once per run, a restarted
        # bot would not know who sits in its rooms (names, centers, pings).
        full_state = rooms.take_state_wanted() or not self.first_sync_done.is_set()
        request = asyncio.ensure_future(
            self.client.sync(
                timeout=await self._sync_timeout(),
                sync_filter=await self._filter_for(rooms.ids),
                since=token,
                full_state=full_state,
            )
        )
        changed = asyncio.ensure_future(rooms.changed.wait())
        try:
            await asyncio.wait({request, changed}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            request.cancel()  # shutting down
            raise
        finally:
            changed.cancel()
        if request.done():
            if rooms.changed.is_set():
                rooms.want_state()  # this one's filter did not have the new room yet
            return request.result()
        request.cancel()
        rooms.want_state()
        with contextlib.suppress(asyncio.CancelledError):
            return await request  # it had finished after all: taken in, so handled
        return None

    async def _filter_for(self, room_ids: set[str]) -> str | dict[str, Any]:
        """The sync filter for these rooms, uploaded once: each sync then names it by its id,
        instead of carrying the whole filter (every room's id) quoted into its address, to be
        read back by the homeserver, at every sync. The filter itself if the upload fails."""
        rooms = frozenset(room_ids)
        if self._filter is not None and self._filter[0] == rooms:
            return self._filter[1]
        wanted = sync_filter(rooms)
        try:
            response = await self.client.upload_filter(
                room=wanted["room"],
                presence=wanted["presence"],
                account_data=wanted["account_data"],
            )
        except (OSError, TimeoutError, ClientError) as error:
            log.warning("uploading the sync filter failed (%r); sending it whole", error)
            return wanted
        if not isinstance(response, UploadFilterResponse):
            log.warning("uploading the sync filter failed (%s); sending it whole", response)
            return wanted
        self._filter = (rooms, response.filter_id)
        return response.filter_id

    async def _enter_rooms(self, response: SyncResponse, *, first: bool) -> None:
        """Once per start, after its first sync: accept the invites still pending (a sync from a
        stored position brings only newer ones, so a room added to the configuration after its
        invite came would otherwise never be joined), then try the configured rooms the bot is
        still not in."""
        if not first:
            await self.invites.accept_pending(handled=set(response.rooms.invite))
        # Rooms joined through an invite just now are not yet in nio's rooms: not again.
        await self.join_missing(self.invites.joined)

    async def _sync_timeout(self) -> int:
        """The long-poll's length, cut short when a timer of ours falls due before it ends."""
        due = await self._crypto.seconds_to_next_notice() if self._crypto else None
        if due is None:
            return self._sync_timeout_ms
        return max(0, min(self._sync_timeout_ms, int(due * 1000) + 50))

    async def _forget_old_events(self) -> None:
        """Hourly, after a sync, encrypted rooms or not: forget events handled more than 30 days
        ago, and let each pruning step forget what it keeps no longer."""
        now = time.monotonic()
        if now < self._next_forget:
            return
        self._next_forget = now + FORGET_EVERY_SECONDS
        cutoff = now_ms() - HANDLED_MEMORY_MS
        steps = [("handled events", self._store.forget_handled_before), *self._pruning]
        for name, step in steps:
            try:
                forgotten = await step(cutoff)
            except Exception:
                log.exception("pruning %s failed; trying again in an hour", name)
                continue
            if forgotten:
                log.info("pruned %d %s", forgotten, name)

    async def _upkeep(self) -> None:
        """Encryption's turn after each sync: keys, and messages whose key has now arrived."""
        if self._crypto is None:
            return
        try:
            await self._crypto.after_sync(self._handle_room_events)
        except (OSError, TimeoutError, ClientError) as error:
            log.warning("encryption upkeep failed (%r); retrying after the next sync", error)
        except Exception:
            log.exception("encryption upkeep failed; retrying after the next sync")

    def _check_fatal(self, response: Any) -> None:
        if getattr(response, "status_code", None) in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
            raise FatalMatrixError(
                "the homeserver no longer accepts the bot's access token; log in again"
            )

    async def _process(self, response: SyncResponse, *, first: bool) -> bool:
        """Handle what the sync brought; whether it brought anything but the bot's own events."""
        for room_id, info in response.rooms.invite.items():
            await self.invites.consider(room_id, info.invite_state)
        batch: list[IncomingEvent] = []
        unreadable = False
        for room_id, info in response.rooms.join.items():
            if room_id not in self.rooms:
                continue
            # nio has already replaced what it could decrypt by the decrypted events.
            events, locked = self._split(room_id, info.timeline.events)
            if first:
                # History from before this bot's first start is never acted on.
                await self._store.record_join(room_id, max((e.ts for e in events), default=0))
                continue
            # A gap in a room we already served: fetch what it skipped. (A newly joined room's
            # timeline is always "limited", but what precedes the join is history, never acted on.)
            known = await self._store.joined_ts(room_id) is not None
            if known and info.timeline.limited and info.timeline.prev_batch:
                skipped, skipped_locked = await self._backfill(room_id, info.timeline.prev_batch)
                events, locked = skipped + events, skipped_locked + locked
            batch.extend(await self._since_join(room_id, events))
            await self._remember_locked(room_id, locked)
            unreadable = unreadable or any(e.sender != self.user_id for e in locked)
        # The bot's own events come back in every sync; nothing is done with them.
        batch = [event for event in batch if event.sender != self.user_id]
        if batch:
            await self._on_events(batch)
        return bool(batch or unreadable or response.rooms.invite or response.rooms.leave)

    def _split(
        self, room_id: str, raw_events: Iterable[Any]
    ) -> tuple[list[IncomingEvent], list[MegolmEvent]]:
        """Events to handle, and encrypted ones nio could not decrypt (no key yet)."""
        events: list[IncomingEvent] = []
        locked: list[MegolmEvent] = []
        for raw in raw_events:
            if isinstance(raw, MegolmEvent) and self._crypto is not None:
                locked.append(raw)
            elif event := normalize(room_id, getattr(raw, "source", None)):
                events.append(event)
        return events, locked

    async def _remember_locked(self, room_id: str, locked: list[MegolmEvent]) -> None:
        """Unreadable events wait for their key, unhandled, unless they are history."""
        if self._crypto is None or not locked:
            return
        joined_ts = await self._store.joined_ts(room_id)
        fresh = [
            event
            for event in locked
            if joined_ts is not None
            and event.server_timestamp >= joined_ts
            and not await self._store.is_handled(event.event_id)
        ]
        await self._crypto.remember(room_id, fresh)

    async def _handle_room_events(self, room_id: str, events: list[IncomingEvent]) -> None:
        if fresh := await self._since_join(room_id, events):
            await self._on_events(fresh)

    async def _since_join(
        self, room_id: str, events: list[IncomingEvent]
    ) -> list[IncomingEvent]:
        """The events said since the bot joined the room (whether each was handled already is
        for the handler to tell, as it marks them)."""
        for event in events:
            if self._is_own_join(event):
                await self._store.record_join(room_id, event.ts)
        joined_ts = await self._store.joined_ts(room_id)
        if joined_ts is None:
            return []
        return [event for event in events if event.ts >= joined_ts]

    def _is_own_join(self, event: IncomingEvent) -> bool:
        if not (event.is_own_membership and event.sender == self.user_id):
            return False
        unsigned = event.raw.get("unsigned")
        previous = unsigned.get("prev_content") if isinstance(unsigned, dict) else None
        was_joined = isinstance(previous, dict) and previous.get("membership") == "join"
        return event.membership == "join" and not was_joined

    async def _backfill(
        self, room_id: str, start: str
    ) -> tuple[list[IncomingEvent], list[MegolmEvent]]:
        """Events a gappy sync skipped, fetched backwards until one already handled (and those
        among them that could not be decrypted)."""
        found: list[Any] = []
        joined_ts = await self._store.joined_ts(room_id) or 0
        token: str | None = start
        while token and len(found) < BACKFILL_LIMIT:
            response = await self.client.room_messages(
                room_id, start=token, direction=MessageDirection.back, limit=100
            )
            if not isinstance(response, RoomMessagesResponse) or not response.chunk:
                break
            for raw in response.chunk:
                event_id, ts = getattr(raw, "event_id", None), getattr(raw, "server_timestamp", 0)
                if not isinstance(event_id, str) or not isinstance(ts, int):
                    continue
                if ts < joined_ts or await self._store.is_handled(event_id):
                    return self._split(room_id, reversed(found))
                found.append(raw)
            token = response.end
        return self._split(room_id, reversed(found))
