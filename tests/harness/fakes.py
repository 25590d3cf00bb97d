"""The Matrix side and the passing of time, faked once for every test that runs without a
homeserver: who sits in which room (`Seats`), the bot's Matrix client (`FakeClient`, with its
rooms as `FakeRoom`), a scheduler that keeps its jobs until the test runs them (`Scheduler`), and
a clock that moves only when the test moves it (`Clock`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, NamedTuple

from nio import MegolmEvent, RoomSendError, RoomSendResponse, UploadResponse
from nio.crypto import DeviceStore, OlmDevice, TrustState

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Seats:
    """The fake of `bot.domain.membership.Membership`: who sits in which room, with their display
    names and power levels.

    `seats` maps a room id to its members' user ids and display names; `power` maps
    (room id, user id) to a power level, 0 for anyone not listed; `room_names` maps a room id
    to its name (a room not listed goes by its id).
    """

    def __init__(
        self,
        seats: Mapping[str, Mapping[str, str]],
        power: Mapping[tuple[str, str], int] | None = None,
        room_names: Mapping[str, str] | None = None,
    ) -> None:
        self._seats = seats
        self._power = power or {}
        self._room_names = room_names or {}

    def room_name(self, room_id: str) -> str:
        return self._room_names.get(room_id, room_id)

    def display_name(self, room_id: str, user_id: str) -> str:
        return self._seats.get(room_id, {}).get(user_id, user_id)

    def is_member(self, room_id: str, user_id: str) -> bool:
        return user_id in self._seats.get(room_id, {})

    def power_level(self, room_id: str, user_id: str) -> int:
        return self._power.get((room_id, user_id), 0)

    def members(self, room_id: str) -> list[str]:
        return list(self._seats.get(room_id, {}))


@dataclass
class FakeRoom:
    """A room as nio's client knows it once synced: whether it is encrypted, who has joined and
    who is only invited (user id → anything)."""

    encrypted: bool = False
    users: dict[str, Any] = field(default_factory=dict)
    invited_users: dict[str, Any] = field(default_factory=dict)


class SentEvent(NamedTuple):
    room_id: str
    event_type: str
    content: dict[str, Any]
    txn_id: str | None


@dataclass
class FakeClient:
    """The bot's nio client, as far as the bot uses it, without a homeserver.

    It knows the rooms it is given (a room not in `rooms` has not come in by sync yet) and
    encrypts nowhere unless given an `olm`. It keeps what the bot asked of it: each send and each
    change to a device's trust in `calls`, in order; the events the homeserver took in `sent`;
    the files uploaded in `uploaded`; the room keys requested in `requested`. A send fails as
    told: `send_error` is raised for every send, a body in `choke_on` cannot be encoded, and a
    room in `refusing` answers with that (HTTP status, Matrix error code). Every encrypted
    message decrypts, once its key is known to `olm`, to `plaintext`.
    """

    user_id: str = "@bot:x"
    olm: Any = None
    rooms: dict[str, FakeRoom] = field(default_factory=dict)
    encrypted_rooms: set[str] = field(default_factory=set)
    next_batch: str = ""
    # Key upkeep: nothing to upload, query or claim unless a test says so.
    should_upload_keys: bool = False
    should_query_keys: bool = False
    should_claim_keys: bool = False
    users_for_key_query: set[str] = field(default_factory=set)
    device_store: DeviceStore = field(default_factory=DeviceStore)
    send_error: Exception | None = None
    choke_on: set[str] = field(default_factory=set)
    refusing: dict[str, tuple[int, str]] = field(default_factory=dict)
    plaintext: str = ""
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    sent: list[SentEvent] = field(default_factory=list)
    uploaded: list[tuple[bytes, str, str | None, int | None]] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)

    @classmethod
    def in_rooms(cls, room_ids: Iterable[str], **fields: Any) -> FakeClient:
        """A client that has synced these plain rooms (the bot alone in each: nothing held)."""
        return cls(rooms={room_id: FakeRoom() for room_id in room_ids}, **fields)

    def bodies(self) -> list[str]:
        """The bodies of the events the homeserver took, in order."""
        return [event.content["body"] for event in self.sent]

    # -- sending ---------------------------------------------------------------------------------

    async def room_send(
        self,
        room_id: str,
        event_type: str,
        content: dict[str, Any],
        tx_id: str | None = None,
        ignore_unverified_devices: bool = False,
    ) -> RoomSendResponse | RoomSendError:
        self.calls.append(("send", room_id, ignore_unverified_devices))
        if self.send_error is not None:
            raise self.send_error
        if content.get("body") in self.choke_on:
            raise ValueError("cannot encode this")
        if room_id in self.refusing:
            status, code = self.refusing[room_id]
            error = RoomSendError(f"refused with {code}", code)
            error.transport_response = SimpleNamespace(status=status)  # type: ignore[assignment]
            return error
        self.sent.append(SentEvent(room_id, event_type, content, tx_id))
        return RoomSendResponse(f"$event{len(self.sent)}", room_id)

    async def upload(
        self,
        provider: Callable[..., Any],
        content_type: str,
        filename: str | None = None,
        filesize: int | None = None,
    ) -> tuple[UploadResponse, None]:
        data = provider(0, 0).read()
        self.uploaded.append((data, content_type, filename, filesize))
        return UploadResponse("mxc://x/minutes"), None

    # -- trust in devices ------------------------------------------------------------------------

    def verify_device(self, device: OlmDevice) -> bool:
        return self._trust(device, "verify", TrustState.verified)

    def unverify_device(self, device: OlmDevice) -> bool:
        return self._trust(device, "unverify", TrustState.unset)

    def blacklist_device(self, device: OlmDevice) -> bool:
        return self._trust(device, "blacklist", TrustState.blacklisted)

    def unblacklist_device(self, device: OlmDevice) -> bool:
        return self._trust(device, "unblacklist", TrustState.unset)

    def _trust(self, device: OlmDevice, call: str, state: TrustState) -> bool:
        device.trust_state = state
        self.calls.append((call, device.device_id))
        return True

    # -- encrypted messages ----------------------------------------------------------------------

    def decrypt_event(self, event: MegolmEvent) -> SimpleNamespace:
        return SimpleNamespace(
            source={
                "type": "m.room.message",
                "event_id": event.event_id,
                "sender": event.sender,
                "origin_server_ts": event.server_timestamp,
                "content": {"msgtype": "m.text", "body": self.plaintext},
            }
        )

    async def request_room_key(self, event: MegolmEvent) -> str:
        self.requested.append(event.event_id)
        return "requested"

    async def send_to_device_messages(self) -> list[Any]:
        return []


@dataclass
class Job:
    """One job as it was handed to `add_job`."""

    func: Callable[..., Any]
    trigger: str
    args: tuple[Any, ...]
    run_date: datetime
    # Every other keyword the service passed (misfire_grace_time, replace_existing, …).
    options: dict[str, Any]


@dataclass
class Scheduler:
    """Keeps jobs instead of running them; the test fires them when it wants."""

    jobs: dict[str, Job] = field(default_factory=dict)

    def add_job(
        self,
        func: Callable[..., Any],
        trigger: str,
        *,
        id: str,
        run_date: datetime,
        args: tuple[Any, ...] = (),
        **options: Any,
    ) -> None:
        self.jobs[id] = Job(func, trigger, tuple(args), run_date, options)

    def remove_job(self, job_id: str, jobstore: str | None = None) -> None:
        self.jobs.pop(job_id, None)

    async def fire(self, job_id: str) -> None:
        """Run a job as the scheduler would, and keep it: firing it again is a late duplicate
        wake-up, which a job must survive."""
        job = self.jobs[job_id]
        await job.func(*job.args)

    async def run_due(self, now: datetime) -> int:
        """Run every job due by `now`, each in a task of its own as APScheduler does, dropping
        each before it runs (a date trigger fires once); a job that a job re-arms for a time
        already reached runs too. Returns how many ran."""
        ran = 0
        while due := [job_id for job_id, job in self.jobs.items() if job.run_date <= now]:
            for job_id in due:
                job = self.jobs.pop(job_id)
                await asyncio.create_task(job.func(*job.args))
                ran += 1
        return ran


class Clock:
    """Time that moves only when the test moves it, read in whichever unit a service expects:
    pass `clock.ms`, `clock.seconds` or `clock.utc` where the service takes a clock."""

    def __init__(self, start: datetime | float = 1_700_000_000) -> None:
        # Whole microseconds, so that moving by seconds or milliseconds never drifts.
        self._us = 0
        self.set(start)

    def set(self, moment: datetime | float) -> None:
        """Jump to a moment: a timezone-aware datetime, or seconds since the epoch."""
        seconds = moment.timestamp() if isinstance(moment, datetime) else moment
        self._us = round(seconds * 1_000_000)

    def advance(self, seconds: float) -> None:
        self._us += round(seconds * 1_000_000)

    def ms(self) -> int:
        """Milliseconds since the epoch, as Matrix timestamps are."""
        return self._us // 1000

    def seconds(self) -> float:
        return self._us / 1_000_000

    def utc(self) -> datetime:
        return EPOCH + timedelta(microseconds=self._us)
