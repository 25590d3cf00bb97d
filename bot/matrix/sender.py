"""The only place that sends to Matrix: it drains the outbox in order.

A message leaves the outbox only once the homeserver has answered with its event id. Each carries
a transaction id fixed when it was queued, so a retry after a crash or a lost answer is
deduplicated by the homeserver instead of appearing twice.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from nio import AsyncClient, RoomRedactResponse, RoomSendResponse, UploadResponse

from bot.domain.outbox import OUTBOX_REF, REDACTION, UPLOAD, UPLOAD_KEY
from bot.matrix.backoff import Backoff
from bot.matrix.sending import attachment, encrypts, held_back, send_event
from bot.matrix.trust import TrustPolicy
from bot.observability.metrics import Metrics
from bot.storage.runtime_store import Lane, OutgoingMessage, RuntimeStore

log = logging.getLogger(__name__)

# Refusals that retrying cannot fix. Everything else (rate limits, outages, 5xx, M_UNKNOWN, which
# Synapse answers for its own internal errors) is retried for as long as it lasts.
DEFINITIVE_REFUSALS = {
    "M_FORBIDDEN",
    "M_BAD_JSON",
    "M_NOT_JSON",
    "M_TOO_LARGE",
    "M_INVALID_PARAM",
    "M_MISSING_PARAM",
    "M_GUEST_ACCESS_FORBIDDEN",
}
MAX_DEFINITIVE_ATTEMPTS = 3


class NotYet(Exception):
    """A message that cannot go out yet: it points at an earlier message not sent so far."""


class SetAside(Exception):
    """A message that can never go out: it points at an earlier message that was set aside."""


def is_definitive(response: Any) -> bool:
    """A refusal the homeserver will repeat whatever we do: a listed 4xx error code."""
    status = getattr(getattr(response, "transport_response", None), "status", None)
    if isinstance(status, int) and (status >= 500 or status == 429):
        return False
    return getattr(response, "status_code", None) in DEFINITIVE_REFUSALS


def _reuse_of(upload: dict[str, Any], encrypt: bool) -> tuple[str, str] | None:
    """(key, fingerprint) under which the upload is remembered. Whether it was encrypted is part
    of the fingerprint: a room that turned encryption on never gets a file uploaded in the clear."""
    reuse = upload.get("reuse")
    if not isinstance(reuse, dict) or not reuse.get("key") or not reuse.get("fingerprint"):
        return None
    sealed = "encrypted" if encrypt else "plain"
    return str(reuse["key"]), f"{reuse['fingerprint']}:{sealed}"


class OutboxSender:
    def __init__(
        self,
        client: AsyncClient,
        store: RuntimeStore,
        backoff: Backoff | None = None,
        *,
        trust: TrustPolicy | None = None,
        finish: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]] | None = None,
        metrics: Metrics | None = None,
        bell: asyncio.Event | None = None,
    ):
        self._client = client
        self._store = store
        self._metrics = metrics or Metrics()
        # Words queued to be finished when sent (translations of what people wrote): done here,
        # in the room's lane, so that no transaction ever waits for a translator.
        self._finish = finish
        self._backoff = backoff or Backoff(initial=0.5, maximum=30.0)
        # In encrypted rooms: whose devices get the keys to read what the bot sends.
        self._trust = trust or TrustPolicy()
        # Rung by whoever queues a message (delivery, the encryption's notices) and after every
        # sync; made before the sender, so that they need not know it.
        self._wake = bell or asyncio.Event()
        # Messages done with (sent or set aside) per lane: a lane that got some done since its
        # last failure starts its backoff afresh.
        self.settled: dict[Lane, int] = {}

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Two lanes per room, each sending its own messages in order: the copies of what people
        said, and the bot's own words (answers, announcements), which never wait behind
        copies. A room the homeserver refuses, or cannot take yet, holds back nobody else.
        Which lanes got messages the outbox's lanes tell (`RuntimeStore.lanes`), without a
        query at each wake."""
        lanes: dict[Lane, _Lane] = {}
        try:
            await self._open_lanes(stop)
            while not stop.is_set():
                self._wake.clear()
                for key in self._store.lanes.take_fresh():
                    lane = lanes.get(key)
                    if lane is None:
                        lane = lanes[key] = _Lane(self, key, self._backoff_of(), stop)
                    lane.wake()
                for lane in lanes.values():
                    if lane.pausing:
                        lane.wake()  # after a sync, what was held back may go now
                waiter = asyncio.ensure_future(self._wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()
        finally:
            for lane in lanes.values():
                lane.task.cancel()
            await asyncio.gather(*(lane.task for lane in lanes.values()), return_exceptions=True)

    async def _open_lanes(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._store.open_lanes()
                return
            except Exception:
                log.exception("reading the outbox failed; retrying")
                await self._backoff.wait(stop)

    def _backoff_of(self) -> Backoff:
        return Backoff(self._backoff.initial, self._backoff.maximum, self._backoff.factor)

    async def flush(self, stop: asyncio.Event) -> bool:
        """Send everything pending in every room; False if something must be retried later."""
        results = await asyncio.gather(
            *(self.flush_room(room_id, stop) for room_id in await self._store.rooms_with_pending())
        )
        return all(results)

    async def flush_room(self, room_id: str, stop: asyncio.Event) -> bool:
        """Send one room's pending messages, its own words first, then the copies, each lane in
        order; False if one must be retried later."""
        for copies in (False, True):
            if not await self.flush_lane(Lane(room_id, copies), stop):
                return False
        return True

    async def flush_lane(
        self,
        lane: Lane,
        stop: asyncio.Event,
        interrupted: Callable[[], bool] = lambda: False,
    ) -> bool:
        """Send one lane's pending messages in order; False if one must be retried later.
        Returns early (True) when `interrupted` says newer messages came."""
        limit = 50
        while not stop.is_set():
            batch = await self._store.next_in_lane(lane, limit)
            for message in batch:
                if not await self._send_guarded(message):
                    return False
                if interrupted():
                    return True
            if len(batch) < limit:
                return True
        return True

    async def _send_guarded(self, message: OutgoingMessage) -> bool:
        """Network trouble is retried for as long as it lasts; any other exception is a message
        that cannot be sent, given up after a few tries so that it blocks nobody behind it."""
        try:
            return await self._send(message)
        except (aiohttp.ClientError, OSError, TimeoutError):
            raise
        except NotYet:
            return False
        except SetAside:
            log.error(
                "setting aside message %s to %s: it answers a message that was set aside",
                message.id,
                message.room_id,
            )
            await self._settle(message, None)
            return True
        except Exception:
            log.exception("sending message %s to %s raised", message.id, message.room_id)
            await self._store.count_attempt(message.id)
            if message.attempts + 1 >= MAX_DEFINITIVE_ATTEMPTS:
                log.error("setting aside message %s to %s", message.id, message.room_id)
                await self._settle(message, None)
                return True
            return False

    async def _settle(self, message: OutgoingMessage, event_id: str | None) -> None:
        """The message is done with: sent as `event_id`, or (None) set aside for good."""
        if event_id is None:
            await self._store.mark_failed(message.id)
            self._metrics.message_set_aside()
        else:
            await self._store.mark_sent(message.id, event_id)
            self._metrics.message_sent()
        lane = Lane.of(message.room_id, message.purpose)
        self.settled[lane] = self.settled.get(lane, 0) + 1

    async def _send(self, message: OutgoingMessage) -> bool:
        content = message.content
        if self._finish is not None:
            content = await self._finish(content)
        content = await self._resolve(content)
        if message.event_type == UPLOAD:
            response = await self._send_file(message, content)
        elif message.event_type == REDACTION:
            response = await self._client.room_redact(
                message.room_id,
                content.get("redacts", ""),
                reason=content.get("reason"),
                tx_id=message.txn_id,
            )
        else:
            response = await send_event(
                self._client,
                self._trust,
                message.room_id,
                message.event_type,
                content,
                message.txn_id,
            )
        if response is None:
            return False  # not sendable yet (encryption); tried again after a pause
        if isinstance(response, RoomSendResponse | RoomRedactResponse):
            await self._settle(message, response.event_id)
            return True
        return await self._failed(message, response)

    async def _send_file(self, message: OutgoingMessage, content: dict[str, Any]) -> Any:
        """Upload the file, then post it. A retry uploads again (an orphaned copy at worst);
        the post itself keeps its transaction id, so it never appears twice."""
        upload = content.pop(UPLOAD_KEY, None) or {}
        data = base64.b64decode(upload.get("data", ""))
        mimetype = upload.get("mimetype", "application/octet-stream")
        # In an encrypted room the file is uploaded encrypted; its key travels in the message.
        encrypt = encrypts(self._client, message.room_id)
        if encrypt is None or held_back(self._client, message.room_id):
            return None  # not before the room has come in by sync, nor to nobody
        reuse = _reuse_of(upload, encrypt)
        earlier = await self._store.earlier_upload(*reuse) if reuse else None
        if earlier is not None:
            content.update(earlier)
        else:
            sealed = {"encrypt": True} if encrypt else {}  # unencrypted room: the upload as ever
            response, keys = await self._client.upload(
                lambda *_: io.BytesIO(data),
                content_type=mimetype,
                filename=content.get("filename"),
                filesize=len(data),
                **sealed,
            )
            if not isinstance(response, UploadResponse):
                return response
            uploaded = attachment(response.content_uri, keys, mimetype)
            if reuse:
                await self._store.remember_upload(*reuse, uploaded)
            content.update(uploaded)
        return await send_event(
            self._client, self._trust, message.room_id, "m.room.message", content, message.txn_id
        )

    async def _failed(self, message: OutgoingMessage, response: Any) -> bool:
        if is_definitive(response):
            await self._store.count_attempt(message.id)
            if message.attempts + 1 >= MAX_DEFINITIVE_ATTEMPTS:
                log.error(
                    "setting aside message %s to %s: the homeserver refused it (%s)",
                    message.id,
                    message.room_id,
                    response,
                )
                await self._settle(message, None)
                return True
        retry_after = getattr(response, "retry_after_ms", None)
        log.warning("could not send message %s (%s); will retry", message.id, response)
        if retry_after:
            await asyncio.sleep(retry_after / 1000)
        return False

    async def _resolve(self, value: Any) -> Any:
        """Replace outbox placeholders with the event ids the homeserver gave those messages."""
        if isinstance(value, dict):
            if set(value) == {OUTBOX_REF}:
                return await self._sent_as(int(value[OUTBOX_REF]))
            return {key: await self._resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [await self._resolve(item) for item in value]
        return value

    async def _sent_as(self, message_id: int) -> str:
        event_id, failed = await self._store.sent_state(message_id)
        if event_id:
            return event_id
        if failed:
            raise SetAside(message_id)
        raise NotYet(message_id)


class _Lane:
    """One lane of a room's sender: wakes when told, sends in order, backs off on its own."""

    def __init__(
        self, sender: OutboxSender, lane: Lane, backoff: Backoff, stop: asyncio.Event
    ) -> None:
        self._sender = sender
        self._lane = lane
        self._room_id = lane.room_id
        self._backoff = backoff
        self._stop = stop
        self._wake = asyncio.Event()
        # Backing off after a message that could not go: woken after every sync to try again.
        self.pausing = False
        self.task = asyncio.create_task(self._run())

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            settled = self._sender.settled.get(self._lane, 0)
            try:
                delivered = await self._sender.flush_lane(
                    self._lane, self._stop, self._wake.is_set
                )
            except Exception as error:
                log.warning("sending to %s failed (%s); retrying", self._room_id, error)
                delivered = False
            if not delivered:
                if self._sender.settled.get(self._lane, 0) > settled:
                    self._backoff.reset()  # it got somewhere: this is a new trouble
                await self._pause()
                continue
            self._backoff.reset()
            if self._wake.is_set():
                continue  # more came meanwhile
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(self._stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()

    async def _pause(self) -> None:
        """The backoff's wait, cut short when the lane is woken: after a sync, a message held
        until its room came in, or until its person joined, may go at once."""
        self._wake.clear()
        self.pausing = True
        pause = asyncio.ensure_future(self._backoff.wait(self._stop))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({pause, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.pausing = False
            pause.cancel()
            woken.cancel()
