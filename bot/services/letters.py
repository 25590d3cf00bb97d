"""Letters: messages for one person alone, in their direct chat with the bot.

The direct chat is the one secret ballots are cast in (`bot.services.ballots`): one per person,
made by the bot when first needed. A letter goes there at once when the person has a chat the
bot can use; otherwise it is kept in the database, the chat is asked for the way `!ballot` asks
for it, and the ballot box posts the letter when it has made the chat. A restart in between
loses nothing: the request and the letter are both in the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol

from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyDirectory, AssemblyRoom
from bot.domain.messages import Msg, from_data, to_data
from bot.domain.outcomes import reply
from bot.services.people import People
from bot.storage.letters_store import LettersStore
from bot.storage.polls_store import PollsStore
from bot.storage.runtime_store import now_ms


class ChatState(Protocol):
    """What the Matrix side knows of a direct chat (`bot.matrix.direct.DirectChats`)."""

    def is_open(self, room_id: str, user_id: str) -> bool: ...
    def is_private(self, room_id: str, user_id: str) -> bool: ...


class Letters:
    def __init__(
        self,
        *,
        store: LettersStore,
        chats_store: PollsStore,
        people: People,
        directory: AssemblyDirectory,
        delivery: Delivery,
        chats: ChatState | None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._store = store
        self._chats_store = chats_store
        self._people = people
        self._directory = directory
        self._delivery = delivery
        self._chats = chats
        self._clock = clock
        # Rung when someone needs a chat made: the ballot box, which makes the chats, waits on it.
        self.bell = asyncio.Event()

    async def send(
        self, assembly: Assembly, person: str, lines: Sequence[Msg], *, cause: str
    ) -> bool:
        """Inside the caller's transaction: True when the letter went to the person's chat now,
        False when it waits for the chat the bot is about to make."""
        chat = await self._chats_store.ballot_room_of(person)
        if chat is not None and self._usable(chat, person):
            await self._post(assembly, person, chat, lines, cause)
            return True
        at = self._clock()
        await self._store.keep(person, assembly.name, cause, [to_data(x) for x in lines], at)
        await self._chats_store.want_ballot_room(person, at)
        self.bell.set()
        return False

    async def post_waiting(self, person: str, chat: str) -> bool:
        """The person's chat exists now: post what waited for it (inside the caller's
        transaction). True when there was something."""
        letters = await self._store.waiting_for(person)
        for letter in letters:
            assembly = self._directory.by_name(letter.assembly)
            if assembly is not None and self._people.is_member(assembly, person):
                lines = [from_data(line) for line in letter.lines]
                await self._post(assembly, person, chat, lines, letter.cause)
        await self._store.forget([letter.id for letter in letters])
        return bool(letters)

    async def _post(
        self, assembly: Assembly, person: str, chat: str, lines: Sequence[Msg], cause: str
    ) -> None:
        home = self._people.home_room(assembly, person)
        room = AssemblyRoom(chat, home.language, home.center, home.timezone)
        await self._delivery.deliver(
            [reply(*lines)], cause=f"letter:{cause}", assembly=assembly, room=room
        )

    def _usable(self, chat: str, person: str) -> bool:
        if self._chats is None:
            return True
        return self._chats.is_open(chat, person) and self._chats.is_private(chat, person)
