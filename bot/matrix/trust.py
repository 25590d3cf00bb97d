"""Whose devices get the room keys: the device trust policy of matrix.trust, on cross-signing.

A person with a cross-signing identity is trusted through it: their devices count if their
self-signing key (signed by their master key) signed them, and their master key is the one
the bot pinned for them (`tofu`) or one the operator verified (`verified`). A changed master key
is refused until the operator verifies the new one. People without an identity keep the older
per-device rule: `tofu` shares with their devices as first seen, `verified` with the devices
listed in matrix.verified_devices only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from nio import AsyncClient
from nio.crypto import OlmDevice, TrustState

from bot.matrix.identities import Identity
from bot.matrix.pins import Pin
from bot.matrix.signing import fingerprint
from bot.settings import Trust, VerifiedDevice

log = logging.getLogger(__name__)


class TrustPolicy:
    """Whose devices the bot encrypts for. nio shares room keys only with the rooms' members."""

    def __init__(
        self,
        trust: Trust = Trust.TOFU,
        verified: Iterable[VerifiedDevice] = (),
    ) -> None:
        self.trust = trust
        self._listed = {(d.user_id, d.device_id): d.fingerprint for d in verified}
        # The bot's own account, master and user-signing keys, once it holds a published identity.
        self._own_user_id = ""
        self._own_master: str | None = None
        self._own_user_signing: str | None = None
        self.identities: dict[str, Identity] = {}
        self.pins: dict[str, Pin] = {}
        self._unsaved: dict[str, Pin] = {}
        self._refusals_logged: set[tuple[str, str | None]] = set()

    @property
    def shares_with_unverified(self) -> bool:
        """What room_send's ignore_unverified_devices should be."""
        return self.trust is Trust.TOFU

    # -- what the policy knows ------------------------------------------------------------------

    def hold_own_identity(self, user_id: str, master: str, user_signing: str) -> None:
        """The bot's own identity: its devices are verified through it, and its user-signing key
        marks the people the operator verified."""
        self._own_user_id, self._own_master, self._own_user_signing = user_id, master, user_signing

    def load_pins(self, pins: Mapping[str, Pin]) -> None:
        """Pins as the database has them (the operator's verifications included). A pin not
        saved yet stays where the database has none, or where it comes from the bot's own
        signature (which only the operator makes)."""
        self.pins = dict(pins)
        for user_id, pin in self._unsaved.items():
            if user_id not in self.pins or pin.verified:
                self.pins[user_id] = pin

    def learn(self, identities: Mapping[str, Identity], without_identity: Iterable[str]) -> None:
        """What a key query said: these users' identities, and users with none."""
        for user_id in without_identity:
            self.identities.pop(user_id, None)
        for user_id, identity in identities.items():
            self.identities[user_id] = identity
            self._pin(identity)

    def unsaved_pins(self) -> dict[str, Pin]:
        """Pins made since the last call, for the caller to save."""
        unsaved, self._unsaved = self._unsaved, {}
        return unsaved

    def _pin(self, identity: Identity) -> None:
        pin = self.pins.get(identity.user_id)
        vouched = self._vouched_for(identity)
        if pin is None or (vouched and pin != Pin(identity.master, True)):
            # First seen, or signed by the bot's user-signing key: only the operator does that.
            pin = Pin(identity.master, verified=vouched)
            self.pins[identity.user_id] = self._unsaved[identity.user_id] = pin
            log.info(
                "%s %s's master key %s",
                "verified" if vouched else "pinned",
                identity.user_id,
                fingerprint(identity.master),
            )

    def _vouched_for(self, identity: Identity) -> bool:
        if self._own_user_signing is None:
            return False
        if identity.user_id == self._own_user_id:
            return identity.master == self._own_master
        return identity.verified_by(
            self._own_user_id, self._own_user_signing
        )

    # -- the decision -----------------------------------------------------------------------------

    def wanted_state(self, device: OlmDevice) -> TrustState:
        """The trust state this policy gives a device (its current one where it has no opinion)."""
        listed = self._listed.get((device.user_id, device.device_id))
        if listed is not None:
            # A listed device whose key differs is not the device the operator checked.
            return TrustState.verified if listed == device.ed25519 else TrustState.blacklisted
        identity = self.identities.get(device.user_id)
        if identity is None and device.user_id in self.pins:
            # A pinned identity gone is no reason to fall back to trusting bare devices.
            self._log_refusal(device.user_id, None)
            return TrustState.blacklisted
        if identity is not None:
            return self._through_identity(identity, device)
        if self.trust is Trust.VERIFIED:
            return TrustState.blacklisted
        return _shared(device)

    def _through_identity(self, identity: Identity, device: OlmDevice) -> TrustState:
        pin = self.pins.get(identity.user_id)
        if pin is not None and pin.master != identity.master:
            self._log_refusal(identity.user_id, identity.master)
            return TrustState.blacklisted
        if not identity.signs(device.device_id, device.ed25519):
            return TrustState.blacklisted  # a device its owner has not signed
        if self.trust is Trust.TOFU:
            return _shared(device)
        verified = pin is not None and pin.verified
        return TrustState.verified if verified else TrustState.blacklisted

    def _log_refusal(self, user_id: str, master: str | None) -> None:
        if (user_id, master) in self._refusals_logged:
            return
        self._refusals_logged.add((user_id, master))
        pinned = fingerprint(self.pins[user_id].master)
        now = f"changed to {fingerprint(master)}" if master else "disappeared"
        log.warning(
            "the master key of %s %s (pinned: %s); none of their devices get the room keys. "
            "If they reset their identity, check the new key with them and run "
            "`asamblea crypto verify %s --config …`",
            user_id,
            now,
            pinned,
            user_id,
        )

    # -- applying it ----------------------------------------------------------------------------

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


def _shared(device: OlmDevice) -> TrustState:
    """Shared with: as it is, unless an earlier, stricter rule shut it out."""
    if device.trust_state is TrustState.blacklisted:
        return TrustState.unset  # nio marks it "ignored" (shared with) on the next send
    return device.trust_state
