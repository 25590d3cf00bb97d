"""A test user whose client speaks end-to-end encryption, like Element does.

An ``EncryptedPerson`` is a ``Person`` that logs in with its password to a device of its own
(a fresh one per test, with its own crypto store), uploads its keys, keeps them current after
every sync, and reads and sends encrypted messages. What it records is what a person reads: nio
replaces the encrypted events it can decrypt by the decrypted ones.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from nio import AsyncClientConfig, LoginResponse, RoomCreateResponse, ToDeviceMessage

from bot.cli.devserver import RegisteredAccount
from tests.harness.person import MatrixRequestError, Person, _check

MEGOLM = "m.megolm.v1.aes-sha2"
ENCRYPTION_STATE = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}

RoomKey = dict[str, str]


class EncryptedPerson(Person):
    """One test user on a new device with its own keys; ``await start()``, ``await stop()``."""

    def __init__(
        self,
        homeserver: str,
        account: RegisteredAccount,
        password: str,
        store_path: Path,
        device_name: str = "test client",
    ) -> None:
        config = AsyncClientConfig(
            encryption_enabled=True,
            store_sync_tokens=False,
            max_timeout_retry_wait_time=2,
        )
        super().__init__(homeserver, account, config)
        store_path.mkdir(parents=True, exist_ok=True)
        # Set before logging in: nio opens the crypto store when the login succeeds.
        self.client.store_path = str(store_path)
        self._password = password
        self._device_name = device_name
        self._keys_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"EncryptedPerson({self.user_id} {self.client.device_id})"

    @property
    def device_id(self) -> str:
        return self.client.device_id or ""

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None:
            return
        # A device of its own: the account's shared test device has no keys, and reusing one
        # device id with new keys in every test would confuse everyone else's device lists.
        self.client.access_token, self.client.device_id = "", ""
        response = await self.client.login(self._password, device_name=self._device_name)
        if not isinstance(response, LoginResponse):
            raise MatrixRequestError(f"{self.user_id} logging in failed: {response}")
        if self.client.olm is None:
            raise MatrixRequestError(f"{self.user_id}: the crypto store did not open")
        await self.upkeep()
        await super().start()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Logging out deletes the device and its keys, so later tests never encrypt for it.
        with contextlib.suppress(Exception):
            await self.client.logout()
        await self.client.close()

    # -- keys ---------------------------------------------------------------------------------

    async def upkeep(self) -> None:
        """What Element does between syncs: keys uploaded, others' devices known, sessions
        claimed, queued to-device messages sent."""
        async with self._keys_lock:
            await self._upkeep()

    async def _upkeep(self) -> None:
        client = self.client
        if client.should_upload_keys:
            _check(await client.keys_upload(), f"{self.user_id} uploading keys")
        if client.should_query_keys:
            _check(await client.keys_query(), f"{self.user_id} querying keys")
        if client.should_claim_keys:
            users = client.get_users_for_key_claiming()
            _check(await client.keys_claim(users), f"{self.user_id} claiming keys")
        for response in await client.send_to_device_messages():
            _check(response, f"{self.user_id} sending to-device messages")

    async def _sync_once(self, timeout_ms: int, initial: bool) -> None:
        await super()._sync_once(timeout_ms, initial)
        await self.upkeep()

    def device_ids_of(self, user_id: str) -> list[str]:
        return [d.id for d in self.client.device_store.active_user_devices(user_id)]

    # -- actions ------------------------------------------------------------------------------

    async def send_content(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        # Know every member's devices first, or a newcomer (the bot) would miss the room key.
        await self.upkeep()
        return await super().send_content(room_id, event_type, content)

    async def create_encrypted_room(self, name: str, invite: Sequence[str] = ()) -> str:
        response = _check(
            await self.client.room_create(
                name=name, invite=list(invite), initial_state=[ENCRYPTION_STATE]
            ),
            f"{self.user_id} creating encrypted room {name!r}",
        )
        assert isinstance(response, RoomCreateResponse)
        return response.room_id

    async def send_text_withholding_key(self, room_id: str, body: str) -> tuple[str, RoomKey]:
        """Send a message under a new room key that nobody receives yet, as when the key is
        delayed in transit. Returns the event id and the key, for `share_room_key` later."""
        async with self._keys_lock:
            await self._upkeep()
            olm = self.client.olm
            assert olm is not None
            olm.create_outbound_group_session(room_id)
            session = olm.outbound_group_sessions[room_id]
            key = {
                "algorithm": MEGOLM,
                "room_id": room_id,
                "session_id": session.id,
                "session_key": session.session_key,  # exported before its first message
            }
            session.shared = True  # so room_send encrypts with it without sharing it
            try:
                event_id = await Person.send_content(
                    self, room_id, "m.room.message", {"msgtype": "m.text", "body": body}
                )
            finally:
                # Later messages use a properly shared key again.
                olm.outbound_group_sessions.pop(room_id, None)
        return event_id, key

    async def share_room_key(self, key: RoomKey, user_id: str) -> None:
        """Deliver a withheld room key (m.room_key, Olm-encrypted) to every device of a user."""
        async with self._keys_lock:
            olm = self.client.olm
            assert olm is not None
            devices = list(self.client.device_store.active_user_devices(user_id))
            missing = [d.id for d in devices if olm.session_store.get(d.curve25519) is None]
            if missing:
                _check(await self.client.keys_claim({user_id: missing}), "claiming keys")
            for device in devices:
                session = olm.session_store.get(device.curve25519)
                if session is None:
                    continue
                content = olm._olm_encrypt(session, device, "m.room_key", key)
                message = ToDeviceMessage("m.room.encrypted", user_id, device.id, content)
                _check(await self.client.to_device(message), f"sending a room key to {user_id}")


async def running_encrypted(
    homeserver: str, account: RegisteredAccount, password: str, store: Path
) -> AsyncIterator[EncryptedPerson]:
    """An encrypting member for a fixture: started, then stopped (and logged out) after."""
    person = EncryptedPerson(homeserver, account, password, store)
    await person.start()
    try:
        yield person
    finally:
        await person.stop()
