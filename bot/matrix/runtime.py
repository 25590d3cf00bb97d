"""Login, the sync loop and invites.

The sync position is stored only after every event of a batch has been handled, and each event
id is recorded when handled, so a crash at any point neither loses nor repeats an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    LoginResponse,
    MegolmEvent,
    MessageDirection,
    RoomMessagesResponse,
    RoomResolveAliasResponse,
    SyncResponse,
    WhoamiResponse,
)

from bot.config import MatrixSettings
from bot.domain.events import IncomingEvent, normalize
from bot.matrix.backoff import Backoff
from bot.matrix.encryption import Encryption, prepare_store
from bot.matrix.invites import DirectInvites, Invites
from bot.storage.runtime_store import RuntimeStore, now_ms

log = logging.getLogger(__name__)

SYNC_TOKEN = "matrix.sync_token"
ACCESS_TOKEN = "matrix.access_token"
DEVICE_ID = "matrix.device_id"


def sync_filter(room_ids: Iterable[str]) -> dict[str, Any]:
    # Only the configured rooms: the bot's account may sit in many others, which are no concern
    # of its and would make every sync (and the first one above all) slower.
    return {
        "room": {"rooms": sorted(room_ids), "timeline": {"limit": 100}},
        "presence": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    }


BACKFILL_LIMIT = 1000
# Handled event ids are kept this long (a sync or back-fill never reaches further back) and
# pruned this often; sent messages and other leftovers are pruned at the same time.
HANDLED_MEMORY_MS = 30 * 24 * 3600 * 1000
FORGET_EVERY_SECONDS = 3600.0

EventHandler = Callable[[IncomingEvent], Awaitable[None]]
# One pruning step: given the cutoff (epoch ms), forget what is older; returns how many rows.
PruningStep = Callable[[int], Awaitable[int]]


class FatalMatrixError(Exception):
    """The bot cannot go on (for instance its access token was rejected)."""


def make_client(settings: MatrixSettings) -> AsyncClient:
    # Connection errors surface at once so our own backoff (which logs and honours stop) applies;
    # rate limits are left to nio, which waits for retry_after_ms and tries again.
    config = AsyncClientConfig(
        max_timeouts=0,
        max_limit_exceeded=None,
        store_sync_tokens=False,
        encryption_enabled=settings.encryption.enabled,
    )
    return AsyncClient(
        settings.homeserver,
        settings.user_id,
        store_path=prepare_store(settings.encryption),
        config=config,
    )


class MatrixRuntime:
    def __init__(
        self,
        client: AsyncClient,
        settings: MatrixSettings,
        store: RuntimeStore,
        on_event: EventHandler,
        *,
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
        self._on_event = on_event
        self._sync_timeout_ms = sync_timeout_ms
        self._backoff = backoff or Backoff(initial=1.0, maximum=60.0)
        self.room_ids: set[str] = set()
        self.direct_invites: DirectInvites | None = None
        self.invites = Invites(
            client, settings.user_id, lambda: self.room_ids, lambda: self.direct_invites
        )
        self.first_sync_done = asyncio.Event()
        # A room newly watched (a direct chat just made or joined): the long-poll in flight,
        # asked with the old filter, is cut short, and the next sync brings every room's whole
        # state, so the new room arrives with its encryption and members wherever it began.
        self._rooms_changed = asyncio.Event()
        self._state_wanted = False
        # For /health and the sync lag: whether the loop runs, and when (time.monotonic) it last
        # handled a sync.
        self.syncing = False
        self.last_sync: float | None = None
        self._next_forget = 0.0
        # More tables the hourly pruning keeps small (wired in bot/app.py, the sent messages
        # among them: their pruning asks the stores that point at them), by name.
        self.pruning: list[tuple[str, PruningStep]] = []

    @property
    def user_id(self) -> str:
        return self._settings.user_id

    async def login(self) -> None:
        """Reuse the stored (or configured) token and device; log in with the password otherwise."""
        token = self._settings.access_token or await self._store.get_value(ACCESS_TOKEN)
        device_id = await self._store.get_value(DEVICE_ID)
        if token and await self._restore(token, device_id):
            return
        if self._settings.access_token:
            raise FatalMatrixError(
                "the homeserver rejected matrix.access_token; create a new token for the bot"
            )
        if not self._settings.password:
            raise FatalMatrixError("no valid access token and no matrix.password to log in with")
        if device_id:
            self.client.device_id = device_id  # nio logs in to this device, keeping one session
        response = await self.client.login(
            self._settings.password, device_name=self._settings.device_name
        )
        if not isinstance(response, LoginResponse):
            raise FatalMatrixError(f"login as {self._settings.user_id} failed: {response}")
        await self._store.set_value(ACCESS_TOKEN, response.access_token)
        await self._store.set_value(DEVICE_ID, response.device_id)
        log.info("logged in as %s (device %s)", response.user_id, response.device_id)

    async def _restore(self, token: str, device_id: str | None) -> bool:
        # Ask who we are first: restore_login opens the crypto store, which needs the device id.
        self.client.user_id, self.client.access_token = self._settings.user_id, token
        response = await self.client.whoami()
        if isinstance(response, WhoamiResponse):
            if response.device_id and response.device_id != device_id:
                await self._store.set_value(DEVICE_ID, response.device_id)
            device_id = response.device_id or device_id
            if device_id:
                self.client.restore_login(self._settings.user_id, device_id, token)
            return True
        if getattr(response, "status_code", None) in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
            log.warning("stored access token no longer valid; logging in again")
            await self._store.delete_value(ACCESS_TOKEN)
            self.client.access_token = ""
            return False
        raise FatalMatrixError(f"could not reach the homeserver to check the token: {response}")

    def watch(self, room_id: str) -> None:
        """Sync `room_id` from now on, starting with its whole state."""
        if room_id in self.room_ids:
            return
        self.room_ids.add(room_id)
        self._state_wanted = True
        self._rooms_changed.set()

    async def resolve_rooms(self, references: Iterable[str]) -> dict[str, str]:
        """Room ids for configured ids and aliases; unresolvable aliases are logged and left out."""
        resolved = {}
        for reference in references:
            if reference.startswith("!"):
                resolved[reference] = reference
                continue
            response = await self.client.room_resolve_alias(reference)
            if isinstance(response, RoomResolveAliasResponse):
                resolved[reference] = response.room_id
            else:
                log.error("cannot resolve room alias %s: %s", reference, response)
        return resolved

    async def join_missing(self, entered: Collection[str] = ()) -> None:
        """Join the configured rooms the bot is not in (nor has just `entered`): a room open to
        anyone needs no invite."""
        for room_id in sorted(self.room_ids - set(self.client.rooms) - set(entered)):
            response = await self.client.join(room_id)
            if isinstance(response, JoinResponse):
                log.info("joined %s (a configured room)", room_id)
            else:
                log.warning("cannot join %s yet (invite the bot there): %s", room_id, response)

    def seconds_since_sync(self) -> float | None:
        return None if self.last_sync is None else time.monotonic() - self.last_sync

    async def run(self, stop: asyncio.Event) -> None:
        """Sync until `stop` is set, retrying homeserver errors with exponential backoff."""
        self.syncing = True
        try:
            await self._sync_until(stop)
        finally:
            self.syncing = False

    async def _sync_until(self, stop: asyncio.Event) -> None:
        if self._crypto is not None and self._crypto.enabled:
            if problem := self._crypto.problem():
                raise FatalMatrixError(problem)
            log.info("end-to-end encryption on: %s", self._crypto.identity())
            await self._upkeep()  # our keys go up before anyone needs them
            await self._crypto.settle_identity(self._settings.password)
        while not stop.is_set():
            token = await self._store.get_value(SYNC_TOKEN)
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
                await self._process(response, first=token is None)
            except Exception:
                # The dispatcher answers for bugs in handlers; what reaches here is the bot's own
                # footing failing (the database, say). The sync position stays where it was, so
                # the batch comes again and the events not yet handled are handled then.
                log.exception("handling a sync batch failed; it will be fetched again")
                await self._backoff.wait(stop)
                continue
            await self._upkeep()
            await self._forget_old_events()
            await self._store.set_value(SYNC_TOKEN, response.next_batch)
            if not self.first_sync_done.is_set():
                await self._enter_rooms(response, first=token is None)
            self.first_sync_done.set()
            self.last_sync = time.monotonic()
            self._on_synced()

    async def _sync_once(self, token: str | None) -> Any:
        """One /sync, or None if a room was newly watched meanwhile. The request is cut short
        only while it waits for the homeserver: nio handles a response only once it has read
        it whole, with no pause in between, so nothing of a cut-short sync has been taken in,
        and the next one, from the same position, brings it all again."""
        self._rooms_changed.clear()
        # nio keeps no state between runs: without the full state once per run, a restarted
        # bot would not know who sits in its rooms (names, centers, pings).
        full_state = self._state_wanted or not self.first_sync_done.is_set()
        self._state_wanted = False
        request = asyncio.ensure_future(
            self.client.sync(
                timeout=await self._sync_timeout(),
                sync_filter=sync_filter(self.room_ids),
                since=token,
                full_state=full_state,
            )
        )
        changed = asyncio.ensure_future(self._rooms_changed.wait())
        try:
            await asyncio.wait({request, changed}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            request.cancel()  # shutting down
            raise
        finally:
            changed.cancel()
        if request.done():
            if self._rooms_changed.is_set():
                self._state_wanted = True  # this one's filter did not have the new room yet
            return request.result()
        request.cancel()
        self._state_wanted = True
        with contextlib.suppress(asyncio.CancelledError):
            return await request  # it had finished after all: taken in, so handled
        return None

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
        steps = [("handled events", self._store.forget_handled_before), *self.pruning]
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

    async def _process(self, response: SyncResponse, *, first: bool) -> None:
        for room_id, info in response.rooms.invite.items():
            await self.invites.consider(room_id, info.invite_state)
        for room_id, info in response.rooms.join.items():
            if room_id not in self.room_ids:
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
            await self._handle_room_events(room_id, events)
            await self._remember_locked(room_id, locked)

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
        for event in events:
            if self._is_own_join(event):
                await self._store.record_join(room_id, event.ts)
        joined_ts = await self._store.joined_ts(room_id)
        for event in events:
            if joined_ts is None or event.ts < joined_ts:
                continue
            if await self._store.is_handled(event.event_id):
                continue
            await self._on_event(event)

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
