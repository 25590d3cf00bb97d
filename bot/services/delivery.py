"""Outcomes become queued messages: worded per room, with fixed transaction ids.

The transaction id is derived from what caused the message (an event id, a reminder), so the same
cause handled twice queues the same message once.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from bot.domain.assembly import Assembly, AssemblyRoom
from bot.framework.context import Announce, Outcome, React, Reply
from bot.i18n import Catalogs, Msg, UserText
from bot.render.notices import bot_message, reaction
from bot.storage.runtime_store import RuntimeStore


class Members(Protocol):
    def display_name(self, room_id: str, user_id: str) -> str: ...
    def is_member(self, room_id: str, user_id: str) -> bool: ...


def txn_id(cause: str, index: int) -> str:
    digest = hashlib.sha256(f"{cause}|{index}".encode()).hexdigest()[:32]
    return f"asamblea-{digest}"


class QuickTranslator(Protocol):
    async def translate_quickly(self, text: str, source: str, target: str) -> str | None:
        """A translation if one comes fast (cached or prompt), else None."""
        ...


class Delivery:
    def __init__(
        self,
        store: RuntimeStore,
        catalogs: Catalogs,
        members: Members,
        wake: Callable[[], None],
    ) -> None:
        self._store = store
        self._catalogs = catalogs
        self._members = members
        self._wake = wake
        # Set once the translation service exists (wired after delivery itself).
        self.texts: QuickTranslator | None = None

    def wake(self) -> None:
        self._wake()

    async def deliver(
        self,
        outcomes: Sequence[Outcome],
        *,
        cause: str,
        assembly: Assembly,
        room: AssemblyRoom | None = None,
        reply_to: str | None = None,
    ) -> list[tuple[str, int]]:
        """Queue every outcome. Call inside the transaction that records the cause as handled.

        Returns (room id, outbox row id) of each queued message, for callers that must find the
        sent event later (a ✋ on the latest stack message raises a hand).
        """
        counter = itertools.count()
        queued: list[tuple[str, int]] = []
        for outcome in outcomes:
            if isinstance(outcome, Reply) and room is not None:
                row = await self._queue_notice(
                    room, outcome.lines, cause, counter, reply_to=reply_to
                )
                queued.append((room.room_id, row))
            elif isinstance(outcome, React) and room is not None and reply_to:
                await self.queue(
                    room.room_id,
                    "m.reaction",
                    reaction(reply_to, outcome.key),
                    txn_id(cause, next(counter)),
                )
            elif isinstance(outcome, Announce):
                for target in assembly.rooms:
                    row = await self._queue_notice(
                        target,
                        outcome.lines,
                        cause,
                        counter,
                        mentions=self._mentions_in(target, outcome.mention),
                    )
                    queued.append((target.room_id, row))
        return queued

    async def status(self, assembly: Assembly) -> list[Msg]:
        """For `!status`: messages the homeserver refused for good (each is in the log too)."""
        count = await self._store.set_aside_count(assembly.room_ids)
        return [Msg.of("status.set_aside", count=count)] if count else []

    async def announce(self, assembly: Assembly, lines: Sequence[Msg], *, cause: str) -> None:
        await self.deliver([Announce(tuple(lines))], cause=cause, assembly=assembly)

    async def queue(
        self,
        room_id: str,
        event_type: str,
        content: dict[str, Any],
        txn: str,
        *,
        purpose: str = "reply",
        source_event_id: str | None = None,
    ) -> int:
        return await self._store.enqueue(
            room_id,
            event_type,
            content,
            txn_id=txn,
            purpose=purpose,
            source_event_id=source_event_id,
        )

    async def _queue_notice(
        self,
        room: AssemblyRoom,
        lines: Sequence[Msg],
        cause: str,
        counter: Iterator[int],
        *,
        reply_to: str | None = None,
        mentions: Sequence[tuple[str, str]] = (),
    ) -> int:
        lines = [await self._localize(line, room.language) for line in lines]
        content = bot_message(
            self._catalogs, room.language, lines, reply_to=reply_to, mentions=mentions
        )
        return await self.queue(
            room.room_id, "m.room.message", content, txn_id(cause, next(counter))
        )

    async def _localize(self, message: Msg, language: str) -> Msg:
        """Person-written words (titles, options) shown translated, with the original beside."""
        values = dict(message.values)
        for key, value in message.values.items():
            if isinstance(value, Msg):
                values[key] = await self._localize(value, language)
            elif isinstance(value, UserText) and value.language != language and self.texts:
                texts = self.texts
                translated = await texts.translate_quickly(value.text, value.language, language)
                if translated and translated != value.text:
                    values[key] = UserText(translated, language, original=value.text)
        return Msg(message.key, values)

    def _mentions_in(self, room: AssemblyRoom, users: Sequence[str]) -> list[tuple[str, str]]:
        """Each person is pinged only in the room where they sit."""
        return [
            (user, self._members.display_name(room.room_id, user))
            for user in users
            if self._members.is_member(room.room_id, user)
        ]
