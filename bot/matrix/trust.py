"""Whose devices get the room keys: the device trust policy of matrix.trust."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from nio import AsyncClient
from nio.crypto import OlmDevice, TrustState

from bot.settings import Trust, VerifiedDevice

log = logging.getLogger(__name__)


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
