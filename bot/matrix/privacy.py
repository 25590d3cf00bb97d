"""Mixed assemblies: no copies from an encrypted room into an unencrypted one unless allowed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from nio import AsyncClient

from bot.domain.assembly import AssemblyDirectory

log = logging.getLogger(__name__)


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
    # What the rooms looked like at the last review (how many known, how many encrypted).
    _seen: tuple[int, int] | None = None

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
        seen = (len(self.client.rooms), len(self.client.encrypted_rooms))
        if seen == self._seen:
            return  # no room joined, none turned encryption on: nothing new to say
        self._seen = seen
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
