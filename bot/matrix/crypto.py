"""End-to-end encryption: the crypto store, key upkeep after each sync, whose devices get room
keys, messages that arrived before their key, and no copies from encrypted rooms into plain ones.

matrix-nio (with vodozemac) does the cryptography. What it leaves to its caller, this module does:
the key traffic `sync_forever` would do between syncs (our runtime syncs by itself), the device
trust policy, and keeping a message that could not be decrypted until its key arrives, so that it
is then handled exactly like any other event: once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    EncryptionError,
    ErrorResponse,
    Event,
    LocalProtocolError,
    MegolmEvent,
    OlmUnverifiedDeviceError,
    Response,
    RoomSendError,
)
from nio.crypto import OlmDevice, TrustState

from bot.domain.assembly import AssemblyDirectory
from bot.i18n import Catalogs, Msg
from bot.matrix.events import IncomingEvent, normalize
from bot.render.notices import reaction
from bot.storage.private_files import private_folder
from bot.storage.runtime_store import RuntimeStore

log = logging.getLogger(__name__)

MEGOLM = "m.megolm.v1.aes-sha2"
PENDING_KEY = "crypto.undecryptable"
REACTION = "m.reaction"


# -- settings -----------------------------------------------------------------------------------


class Trust(StrEnum):
    # Every device of the rooms' members gets the room keys, pinned to the keys first seen.
    TOFU = "tofu"
    # Only the devices listed in matrix.verified_devices; everyone else reads nothing the bot says.
    VERIFIED = "verified"


@dataclass(frozen=True)
class VerifiedDevice:
    user_id: str
    device_id: str
    # The device's Ed25519 key ("session key" in Element's session list); spaces are ignored.
    ed25519: str

    @property
    def fingerprint(self) -> str:
        return "".join(self.ed25519.split())


@dataclass(frozen=True)
class EncryptionSettings:
    enabled: bool = True
    trust: Trust = Trust.TOFU
    # Where nio keeps the bot's keys; the configuration puts it beside the database by default.
    store_path: Path | None = None
    verified_devices: tuple[VerifiedDevice, ...] = ()


def default_store_path(database_path: Path) -> Path:
    return database_path.with_name(f"{database_path.stem}-crypto")


def prepare_store(settings: EncryptionSettings) -> str:
    """The crypto store's folder, created private to the bot ("" when encryption is off)."""
    if not settings.enabled:
        return ""
    path = settings.store_path or Path("asamblea-crypto")
    # It holds the keys that read every encrypted room the bot is in.
    return str(private_folder(path))


@dataclass(frozen=True)
class RetryTiming:
    # A message still unreadable after this long gets a reaction, so its author knows.
    react_after_seconds: float = 10.0
    # After this long the bot stops waiting for a key (the event counts as handled).
    give_up_after_seconds: float = 7 * 24 * 3600.0
    # At most this many unreadable messages are kept; beyond it the oldest are given up.
    most_kept: int = 500


# -- device trust -------------------------------------------------------------------------------


class TrustPolicy:
    """Whose devices the bot encrypts for. nio shares room keys only with the rooms' members."""

    def __init__(self, trust: Trust = Trust.TOFU, verified: Iterable[VerifiedDevice] = ()) -> None:
        self.trust = trust
        self._listed = {(d.user_id, d.device_id): d.fingerprint for d in verified}

    @property
    def shares_with_unverified(self) -> bool:
        """What room_send's ignore_unverified_devices should be."""
        return self.trust is Trust.TOFU

    def wanted_state(self, device: OlmDevice) -> TrustState:
        """The trust state this policy gives a device (its current one where it has no opinion)."""
        listed = self._listed.get((device.user_id, device.device_id))
        if listed is not None:
            # A listed device whose key differs is not the device the operator checked.
            return TrustState.verified if listed == device.ed25519 else TrustState.blacklisted
        if self.trust is Trust.VERIFIED:
            return TrustState.blacklisted
        if device.trust_state is TrustState.blacklisted:
            return TrustState.unset  # blacklisted by an earlier strict configuration
        return device.trust_state  # nio marks it "ignored" (shared with) on the next send

    def settle(self, client: AsyncClient, device: OlmDevice) -> None:
        wanted = self.wanted_state(device)
        if wanted is device.trust_state:
            return
        if wanted is TrustState.verified:
            client.verify_device(device)
        elif wanted is TrustState.blacklisted:
            if device.trust_state is TrustState.verified:
                client.unverify_device(device)
            client.blacklist_device(device)
        elif wanted is TrustState.unset:
            client.unblacklist_device(device)
        log.info("device %s of %s is now %s", device.device_id, device.user_id, wanted.name)

    def apply(self, client: AsyncClient) -> None:
        """Settle every known device of every member of the encrypted rooms."""
        if client.olm is None:
            return
        for room in list(client.rooms.values()):
            if not room.encrypted:
                continue
            for user_id in list(room.users):
                for device in client.device_store.active_user_devices(user_id):
                    self.settle(client, device)


# -- sending --------------------------------------------------------------------------------------


def encrypts(client: AsyncClient, room_id: str) -> bool | None:
    """Whether what goes to this room must be encrypted; None while that is not known yet."""
    if getattr(client, "olm", None) is None:  # encryption off (or a stand-in client)
        return False
    room = client.rooms.get(room_id)
    if room is None:
        return None if not client.next_batch else False
    return room.encrypted


async def send_event(
    client: AsyncClient,
    trust: TrustPolicy,
    room_id: str,
    event_type: str,
    content: dict[str, Any],
    txn_id: str,
) -> Response | None:
    """room_send, encrypted in encrypted rooms for the devices `trust` allows.

    None means "not now": the rooms are not known before the first sync, or a device turned up
    that the trust policy had not settled yet. The caller tries again later.
    """
    if getattr(client, "olm", None) is not None and room_id not in client.rooms:
        if not client.next_batch:
            return None
        # nio cannot encrypt for a room it has not synced; the homeserver would refuse it too.
        return RoomSendError(f"the bot is not in {room_id}", "M_FORBIDDEN")
    try:
        return await client.room_send(
            room_id,
            event_type,
            content,
            tx_id=txn_id,
            ignore_unverified_devices=trust.shares_with_unverified,
        )
    except OlmUnverifiedDeviceError as error:
        trust.settle(client, error.device)
        return None
    except LocalProtocolError as error:  # members could not be fetched to share the room key
        log.warning("cannot encrypt for %s yet (%s); will retry", room_id, error)
        return None


def attachment(content_uri: str, keys: dict[str, Any] | None, mimetype: str) -> dict[str, Any]:
    """Where a message finds its uploaded file: a plain URL, or the encrypted-file form."""
    if keys is None:
        return {"url": content_uri}
    return {"file": {**keys, "url": content_uri, "mimetype": mimetype}}


# -- messages that could not be decrypted -----------------------------------------------------


@dataclass
class Undecryptable:
    event_id: str
    room_id: str
    source: dict[str, Any]  # the encrypted event as received: ciphertext only
    first_seen: float
    requested: bool = False
    reaction: int | None = None  # outbox row of the bot's reaction on it, once reacted

    def megolm(self) -> MegolmEvent | None:
        event = Event.parse_event(self.source)
        if not isinstance(event, MegolmEvent):
            return None
        event.room_id = self.room_id
        return event

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Undecryptable:
        return cls(**data)


def _txn(cause: str) -> str:
    return f"asamblea-{hashlib.sha256(cause.encode()).hexdigest()[:32]}"


class UndecryptableNotices:
    """The reaction that tells people the bot cannot read a message, and its withdrawal."""

    def __init__(
        self, store: RuntimeStore, label: Callable[[str], str], wake: Callable[[], None]
    ) -> None:
        self._store = store
        self._label = label
        self._wake = wake

    async def flag(self, item: Undecryptable) -> int:
        outbox_id = await self._store.enqueue(
            item.room_id,
            REACTION,
            reaction(item.event_id, self._label(item.room_id)),
            txn_id=_txn(f"undecryptable:{item.event_id}"),
            purpose="undecryptable",
            source_event_id=item.event_id,
        )
        self._wake()
        return outbox_id

    async def withdraw(self, item: Undecryptable) -> None:
        """Once the message has been read, the reaction saying it could not be would mislead."""
        # Imported here: the sender imports this module for send_event.
        from bot.matrix.sender import REDACTION, outbox_ref

        if item.reaction is None:
            return
        await self._store.enqueue(
            item.room_id,
            REDACTION,
            {"redacts": outbox_ref(item.reaction)},
            txn_id=_txn(f"undecryptable-read:{item.event_id}"),
            purpose="undecryptable",
            source_event_id=item.event_id,
        )
        self._wake()


def undecryptable_label(catalogs: Catalogs, directory: AssemblyDirectory) -> Callable[[str], str]:
    """The reaction's words, in the language of the room it goes to."""

    def label(room_id: str) -> str:
        assembly = directory.for_room(room_id)
        room = assembly.room(room_id) if assembly else None
        return catalogs.text(room.language if room else "en", Msg("encryption.undecryptable"))

    return label


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
    ) -> None:
        self._client = client
        self._settings = settings
        self._store = store
        self._timing = timing or RetryTiming()
        self._clock = clock
        self.trust = TrustPolicy(settings.trust, settings.verified_devices)
        # Set once the rooms (and so their languages) are known.
        self.notices: UndecryptableNotices | None = None
        # Called after every sync, once the room state is current (the mirror privacy review).
        self.on_sync: list[Callable[[], None]] = []
        self._pending: dict[str, Undecryptable] | None = None

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
        for review in self.on_sync:
            review()
        if self._client.olm is None:
            return
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
        if client.should_query_keys:
            _check(await client.keys_query(), "querying members' keys")
        self.trust.apply(client)
        if client.should_claim_keys:
            users = client.get_users_for_key_claiming()
            _check(await client.keys_claim(users), "claiming one-time keys")
        for response in await client.send_to_device_messages():
            _check(response, "sending to-device messages")

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
        if self.notices is None:
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
        if self.notices is not None:
            await self.notices.withdraw(item)

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
            if item.reaction is None and age >= self._timing.react_after_seconds and self.notices:
                item.reaction = await self.notices.flag(item)
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


# -- mixed assemblies -----------------------------------------------------------------------------


def mirror_allowed(source_encrypted: bool, target_encrypted: bool, allowed: bool) -> bool:
    """Copies of an encrypted room's messages go only to encrypted rooms, unless allowed."""
    return not source_encrypted or target_encrypted or allowed


@dataclass
class MirrorPrivacy:
    """Refuses to mirror an encrypted room into an unencrypted one unless the assembly's
    allow_unencrypted_mirror says so. Judged at each copy, so a room that turns encryption on
    mid-meeting is covered from that moment; each refused pair is logged once."""

    client: AsyncClient
    directory: AssemblyDirectory
    allowed: frozenset[str]  # names of the assemblies that allow it
    encryption_enabled: bool = True
    _refused: set[tuple[str, str]] = field(default_factory=set)
    _reviewed: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)

    def is_encrypted(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return room_id in self.client.encrypted_rooms or bool(room and room.encrypted)

    def may_mirror(self, source_room_id: str, target_room_id: str) -> bool:
        assembly = self.directory.for_room(source_room_id)
        allowed = assembly is not None and assembly.name in self.allowed
        # A target whose state is not known yet counts as unencrypted: when in doubt, no copy.
        if mirror_allowed(
            self.is_encrypted(source_room_id), self.is_encrypted(target_room_id), allowed
        ):
            return True
        if (source_room_id, target_room_id) not in self._refused:
            self._refused.add((source_room_id, target_room_id))
            log.warning(
                "not mirroring encrypted room %s into unencrypted room %s (assembly %s): set "
                "allow_unencrypted_mirror = true for that assembly to allow it",
                source_room_id,
                target_room_id,
                assembly.name if assembly else "?",
            )
        return False

    def review(self) -> None:
        """After each sync: say what encryption means for each assembly whose rooms are all
        known, at start-up and whenever a room turns encryption on."""
        for assembly in self.directory.assemblies:
            if not all(r.room_id in self.client.rooms for r in assembly.rooms):
                continue  # not joined everywhere yet
            encrypted = tuple(r.room_id for r in assembly.rooms if self.is_encrypted(r.room_id))
            plain = tuple(r.room_id for r in assembly.rooms if not self.is_encrypted(r.room_id))
            if self._reviewed.get(assembly.name) == (encrypted, plain):
                continue
            self._reviewed[assembly.name] = (encrypted, plain)
            self._report(assembly.name, encrypted, plain)

    def _report(self, name: str, encrypted: Sequence[str], plain: Sequence[str]) -> None:
        if encrypted and not self.encryption_enabled:
            log.error(
                "assembly %s: rooms %s are encrypted but matrix.encryption is false; the bot "
                "cannot read them",
                name,
                ", ".join(encrypted),
            )
        if not (encrypted and plain):
            state = "every room is encrypted" if encrypted else "no room is encrypted"
            log.info("assembly %s: %s", name, state)
        elif name in self.allowed:
            log.warning(
                "assembly %s mirrors encrypted rooms %s into unencrypted rooms %s, as "
                "allow_unencrypted_mirror permits",
                name,
                ", ".join(encrypted),
                ", ".join(plain),
            )
        else:
            log.warning(
                "assembly %s mixes encrypted rooms %s with unencrypted rooms %s: messages from "
                "the encrypted rooms are not mirrored into the unencrypted ones "
                "(allow_unencrypted_mirror is false)",
                name,
                ", ".join(encrypted),
                ", ".join(plain),
            )
