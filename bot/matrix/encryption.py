"""End-to-end encryption: the crypto store, key upkeep after each sync, and messages that arrived
before their key.

matrix-nio (with vodozemac) does the cryptography. What it leaves to its caller, this module does:
the key traffic `sync_forever` would do between syncs (our runtime syncs by itself), the bot's
cross-signing identity (bot.matrix.cross_signing) and everyone else's (bot.matrix.identities),
applying the device trust policy (bot.matrix.trust), and keeping a message that could not be
decrypted until its key arrives (bot.matrix.undecryptable), so that it is then handled exactly
like any other event: once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    EncryptionError,
    ErrorResponse,
    KeysQueryResponse,
    LocalProtocolError,
    MegolmEvent,
)
from nio.store import DefaultStore

from bot.domain.events import IncomingEvent, normalize
from bot.matrix.cross_signing import CrossSigningError, OwnIdentitySetup
from bot.matrix.identities import identities_from_query, users_without_identity
from bot.matrix.keys_api import KeysApi, KeysApiError
from bot.matrix.pins import PinStore
from bot.matrix.trust import TrustPolicy
from bot.matrix.undecryptable import Undecryptable, UndecryptableNotices
from bot.settings import EncryptionSettings
from bot.storage.private_files import private_folder
from bot.storage.runtime_store import RuntimeStore

log = logging.getLogger(__name__)

PENDING_KEY = "crypto.undecryptable"
# The pins are read again this often, so that an operator's verification (`asamblea crypto
# verify`, another process) is taken up within seconds without a query after every sync.
PINS_READ_EVERY_SECONDS = 5.0


def prepare_store(settings: EncryptionSettings) -> str:
    """The crypto store's folder, created private to the bot ("" when encryption is off)."""
    if not settings.enabled:
        return ""
    path = settings.store_path or Path("asamblea-crypto")
    # It holds the keys that read every encrypted room the bot is in.
    return str(private_folder(path))


@dataclass
class CryptoStore(DefaultStore):
    """nio's crypto store, which writes the set of encrypted rooms only when a room joins it.
    nio asks for that write after every sync, on the event loop: a query and a transaction in
    its own database each time, though the set hardly ever changes."""

    _saved_rooms: set[str] = field(init=False, default_factory=set)

    def load_encrypted_rooms(self) -> set[str]:
        rooms: set[str] = super().load_encrypted_rooms()
        self._saved_rooms = set(rooms)
        return rooms

    def save_encrypted_rooms(self, rooms: Iterable[str]) -> None:
        new = set(rooms) - self._saved_rooms
        if new:
            super().save_encrypted_rooms(new)
            self._saved_rooms |= new


@dataclass(frozen=True)
class RetryTiming:
    # A message still unreadable after this long gets a reaction, so its author knows.
    react_after_seconds: float = 10.0
    # After this long the bot stops waiting for a key (the event counts as handled).
    give_up_after_seconds: float = 7 * 24 * 3600.0
    # At most this many unreadable messages are kept; beyond it the oldest are given up.
    most_kept: int = 500


RoomEventsHandler = Callable[[str, list[IncomingEvent]], Awaitable[None]]


class Encryption:
    """The runtime's encryption hook: key upkeep after every sync, and unreadable messages kept
    (in the kv table, so a restart keeps them too) until their key arrives."""

    def __init__(
        self,
        client: AsyncClient,
        settings: EncryptionSettings,
        store: RuntimeStore,
        *,
        timing: RetryTiming | None = None,
        clock: Callable[[], float] = time.time,
        notices: UndecryptableNotices | None = None,
        on_sync: Sequence[Callable[[], None]] = (),
    ) -> None:
        self._client = client
        self._settings = settings
        self._store = store
        self._timing = timing or RetryTiming()
        self._clock = clock
        self.trust = TrustPolicy(settings.trust, settings.verified_devices)
        self._keys = KeysApi(client)
        self._pins = PinStore(store)
        # Every user the crypto store knows is queried once per run: cross-signing identities
        # are not kept between runs, and nio asks again only for users whose devices changed.
        self._queried_known_users = False
        self._identity_retry: str | None = None  # the password, while a retry is due
        # The reactions on messages the bot cannot read yet, in each room's language.
        self._notices = notices
        # Called after every sync, once the room state is current (the mirror privacy review).
        self._on_sync = tuple(on_sync)
        self._pending: dict[str, Undecryptable] | None = None
        self._pins_read_at: float | None = None

    @property
    def enabled(self) -> bool:
        return self._settings.enabled

    def problem(self) -> str | None:
        """Why encryption cannot work after login, if it cannot."""
        if self._settings.enabled and self._client.olm is None:
            return (
                "matrix.encryption is on but the crypto store could not be opened "
                f"(device {self._client.device_id or 'unknown'}, store {self._client.store_path})"
            )
        return None

    def identity(self) -> str:
        """The bot's device and fingerprint, for people who verify it by hand."""
        olm = self._client.olm
        if olm is None:
            return "encryption off"
        key = olm.account.identity_keys["ed25519"]
        spaced = " ".join(key[i : i + 4] for i in range(0, len(key), 4))
        return f"device {self._client.device_id}, session key {spaced}"

    # -- after every sync ----------------------------------------------------------------------

    async def after_sync(self, handle: RoomEventsHandler) -> None:
        """Keys kept current; messages that became readable handled; the others followed up."""
        for review in self._on_sync:
            review()
        if self._client.olm is None:
            return
        if self._identity_retry is not None:
            await self.settle_identity(self._identity_retry or None)
        await self.maintain_keys()
        await self._handle_decrypted(handle)
        await self._follow_up()

    async def maintain_keys(self) -> None:
        """What nio's sync_forever does between syncs: our keys up, others' keys known, sessions
        claimed, to-device messages (key shares, requests) sent."""
        client = self._client
        if client.olm is None:
            return
        if client.should_upload_keys:
            _check(await client.keys_upload(), "uploading the bot's keys")
        await self._query_keys()
        self.trust.apply(client)
        if client.should_claim_keys:
            users = client.get_users_for_key_claiming()
            _check(await client.keys_claim(users), "claiming one-time keys")
        for response in await client.send_to_device_messages():
            _check(response, "sending to-device messages")

    async def _query_keys(self) -> None:
        """nio's key query, made here so that the cross-signing keys in the answer are seen."""
        client = self._client
        users = set(client.users_for_key_query)
        if not self._queried_known_users:
            users |= {user_id for user_id, _ in client.device_store.items()}
        now = self._clock()
        last = self._pins_read_at
        if users or last is None or now >= last + PINS_READ_EVERY_SECONDS:
            self.trust.load_pins(await self._pins.load())
            self._pins_read_at = now
        if users:
            try:
                answer = await self._keys.query(users)
            except KeysApiError as error:
                log.warning("%s; trying again after the next sync", error)
                return
            response = KeysQueryResponse.from_dict(answer)
            if not _check(response, "querying members' keys"):
                return
            await client.receive_response(response)
            self.trust.learn(identities_from_query(answer), users_without_identity(answer))
            self._queried_known_users = True
        for user_id, pin in self.trust.unsaved_pins().items():
            await self._pins.save(user_id, pin)

    # -- the bot's own identity -----------------------------------------------------------------

    async def settle_identity(self, password: str | None) -> None:
        """Publish the bot's cross-signing identity if the account has none, and sign the bot's
        device with it. Never fatal: without an identity the bot works as before, unsigned."""
        if self._client.olm is None:
            return
        self._identity_retry = None
        client = self._client
        device_key = client.olm.account.identity_keys["ed25519"]
        setup = OwnIdentitySetup(
            self._keys, Path(client.store_path), client.user_id, client.device_id, device_key
        )
        try:
            own = await setup.settle(password)
        except CrossSigningError as error:
            log.error("%s", error)
            return
        except KeysApiError as error:
            if error.status >= 500 or error.status == 429:
                self._identity_retry = password or ""
            log.warning("cannot set up the bot's cross-signing identity: %s", error)
            return
        except (OSError, TimeoutError, ClientError) as error:
            self._identity_retry = password or ""
            log.warning("cannot set up the bot's cross-signing identity yet (%r)", error)
            return
        except Exception:
            # The bot serves without an identity rather than not at all.
            log.exception("setting up the bot's cross-signing identity failed")
            return
        if own.keys is None:
            log.warning("%s", own.summary)
            return
        log.info("%s", own.summary)
        keys = own.keys
        self.trust.hold_own_identity(
            keys.user_id, keys.master.public_key, keys.user_signing.public_key
        )
        self._queried_known_users = False  # whose keys it vouches for is worth asking again

    # -- unreadable messages --------------------------------------------------------------------

    async def remember(self, room_id: str, events: Sequence[MegolmEvent]) -> None:
        """Keep messages nio could not decrypt; they are not handled until they can be."""
        pending = await self._load()
        added = False
        for event in events:
            if event.sender == self._client.user_id or event.event_id in pending:
                continue
            log.info(
                "cannot decrypt %s from %s in %s yet (no key for session %s); waiting for it",
                event.event_id,
                event.sender,
                room_id,
                event.session_id,
            )
            pending[event.event_id] = Undecryptable(
                event.event_id, room_id, dict(event.source), self._clock()
            )
            added = True
        if added:
            await self._trim(pending)
            await self._save()

    async def pending_event_ids(self) -> list[str]:
        return list(await self._load())

    async def seconds_to_next_notice(self) -> float | None:
        """How long until an unreadable message is due its reaction, so that the sync loop
        wakes up then instead of at the end of an idle long-poll."""
        if self._notices is None:
            return None
        now = self._clock()
        due = [
            item.first_seen + self._timing.react_after_seconds - now
            for item in (await self._load()).values()
            if item.reaction is None
        ]
        return max(0.0, min(due)) if due else None

    async def _handle_decrypted(self, handle: RoomEventsHandler) -> None:
        pending = await self._load()
        for item in list(pending.values()):
            event = self._decrypt(item)
            if event is None:
                continue
            log.info("decrypted %s in %s at last; handling it now", item.event_id, item.room_id)
            # The runtime's own path: skipped if already handled (a crash right after it was).
            await handle(item.room_id, [event])
            await self._settle(item)

    def _decrypt(self, item: Undecryptable) -> IncomingEvent | None:
        megolm = item.megolm()
        olm = self._client.olm
        if megolm is None or olm is None:
            return None
        if not olm.inbound_group_store.get(item.room_id, megolm.sender_key, megolm.session_id):
            return None  # still no key (asking nio would log a warning every sync)
        try:
            decrypted = self._client.decrypt_event(megolm)
        except EncryptionError as error:
            log.warning("cannot decrypt %s even with its key: %s", item.event_id, error)
            return None
        return normalize(item.room_id, getattr(decrypted, "source", None))

    async def _settle(self, item: Undecryptable) -> None:
        pending = await self._load()
        pending.pop(item.event_id, None)
        await self._save()
        if self._notices is not None:
            await self._notices.withdraw(item)

    async def _follow_up(self) -> None:
        """Ask for missing keys, react to messages still unreadable, give up on the oldest."""
        pending = await self._load()
        changed = False
        now = self._clock()
        for item in list(pending.values()):
            age = now - item.first_seen
            if age >= self._timing.give_up_after_seconds:
                await self._give_up(item)
                changed = True
                continue
            if not item.requested:
                item.requested = await self._request_key(item)
                changed = changed or item.requested
            if item.reaction is None and age >= self._timing.react_after_seconds and self._notices:
                item.reaction = await self._notices.flag(item)
                changed = True
        if changed:
            await self._save()

    async def _request_key(self, item: Undecryptable) -> bool:
        """Ask for the key. nio asks the bot's own other sessions, the only ones whose forwarded
        keys it accepts; a key that was merely late arrives by itself and is caught anyway."""
        megolm = item.megolm()
        if megolm is None:
            return True
        try:
            response = await self._client.request_room_key(megolm)
        except LocalProtocolError:
            return True  # already requested for this session
        return _check(response, f"requesting the key of {item.event_id}")

    async def _give_up(self, item: Undecryptable) -> None:
        log.warning(
            "giving up on decrypting %s in %s: its key never arrived", item.event_id, item.room_id
        )
        await self._store.mark_handled(item.event_id, item.room_id)
        (await self._load()).pop(item.event_id, None)

    async def _trim(self, pending: dict[str, Undecryptable]) -> None:
        excess = len(pending) - self._timing.most_kept
        if excess > 0:
            for item in sorted(pending.values(), key=lambda i: i.first_seen)[:excess]:
                await self._give_up(item)

    async def _load(self) -> dict[str, Undecryptable]:
        if self._pending is None:
            raw = await self._store.get_value(PENDING_KEY)
            items = json.loads(raw) if raw else []
            self._pending = {i["event_id"]: Undecryptable.from_dict(i) for i in items}
        return self._pending

    async def _save(self) -> None:
        items = [asdict(item) for item in (self._pending or {}).values()]
        await self._store.set_value(PENDING_KEY, json.dumps(items))


def _check(response: Any, action: str) -> bool:
    if isinstance(response, ErrorResponse):
        log.warning("%s failed: %s", action, response)
        return False
    return True
