"""Secret ballots: each member votes in a direct chat with the bot, which the rooms cannot see.

A person gets their chat by `!ballot` in an assembly room (the bot creates the chat and invites
them) or by inviting the bot to a direct chat themselves; either way the chat is remembered, and
the ballot of every open secret poll is posted there as a native poll, in the language of the
person's own assembly room. Only members of an assembly's rooms get a chat. A chat is never an
assembly room: nothing in it is mirrored, and only the commands declared for it are taken.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyDirectory, AssemblyRoom, PrivateRoom
from bot.domain.messages import Msg
from bot.domain.outcomes import reply
from bot.domain.polls import Poll
from bot.services.letters import Letters
from bot.services.people import People
from bot.services.polls import PollService
from bot.storage.database import Database
from bot.storage.polls_store import PollsStore
from bot.storage.runtime_store import now_ms

log = logging.getLogger(__name__)

RETRY_SECONDS = 30.0


class DirectChats(Protocol):
    """The Matrix side of direct chats."""

    async def open_with(self, user_id: str) -> str | None:
        """Create a direct chat with the person and invite them; None if that failed."""
        ...

    async def watch(self, room_id: str) -> None:
        """From now on, sync this chat and hand its events on. Messages queued for it wait in
        the outbox until it has come in by sync and its person has joined."""
        ...

    def is_open(self, room_id: str, user_id: str) -> bool:
        """False once the person is known to have left the chat."""
        ...

    def is_private(self, room_id: str, user_id: str) -> bool:
        """Whether only the bot and the person are in the chat, joined or invited."""
        ...

    async def people_in(self, room_id: str) -> set[str] | None:
        """Everyone joined or invited, as the homeserver says now; None if it could not say."""
        ...

    async def decline(self, room_id: str, reason: str) -> None:
        """Leave the chat, or refuse its invite, with a reason the person's client shows."""
        ...


@dataclass(frozen=True)
class BallotRequest:
    """What `!ballot` did: the secret polls concerned, and whether the chat is still to come."""

    polls: list[Poll]
    chat_pending: bool


class BallotBox:
    def __init__(
        self,
        *,
        db: Database,
        store: PollsStore,
        polls: PollService,
        people: People,
        directory: AssemblyDirectory,
        delivery: Delivery,
        chats: DirectChats | None,
        bot_user_id: str = "",
        prefix: str = "!",
        clock: Callable[[], int] = now_ms,
        letters: Letters | None = None,
    ) -> None:
        """`letters` wait for the chats this box makes; their bell wakes it too."""
        self._db = db
        self._store = store
        self._polls = polls
        self._people = people
        self._directory = directory
        self._delivery = delivery
        self._chats = chats
        self._bot_user_id = bot_user_id
        self._prefix = prefix
        self._clock = clock
        self._owners: dict[str, str] = {}  # direct chat → the person it is with
        self._arrived: dict[str, str] = {}  # chats people invited the bot to, not yet served
        self._declined: dict[str, str] = {}  # more chats from a person who has one already
        self._crowded: set[str] = set()  # ballot chats someone else has come into
        self._abandoned: set[str] = set()  # ballot chats their person has left
        self._letters = letters
        self._wake = letters.bell if letters is not None else asyncio.Event()

    async def restore(self) -> None:
        """At start-up: serve the chats already made, and make those still asked for."""
        self._owners = await self._store.ballot_rooms()
        if self._chats is not None:
            for chat in self._owners:
                await self._chats.watch(chat)
        self._wake.set()

    # -- which room is whose -----------------------------------------------------------------

    def private_room(self, room_id: str) -> PrivateRoom | None:
        """A person's direct chat, as the router sees it: worded in the language of their own
        assembly room and counted in its center. None for any other room, when the person no
        longer sits in any assembly room, or once a third person has come into the chat (which
        the bot then stops using)."""
        owner = self._owners.get(room_id)
        assembly = self._assembly_of(owner) if owner else None
        if owner is None or assembly is None:
            return None
        if self._chats is not None and not self._chats.is_open(room_id, owner):
            self._abandoned.add(room_id)
            self._wake.set()
            return None
        if self._chats is not None and not self._chats.is_private(room_id, owner):
            self._crowded.add(room_id)
            self._wake.set()
            return None
        home = self._people.home_room(assembly, owner)
        here = AssemblyRoom(room_id, home.language, home.center, home.timezone)
        return PrivateRoom(owner=owner, assembly=assembly, room=here)

    def _assembly_of(self, user_id: str) -> Assembly | None:
        # A person in several assemblies votes in the first one's secret polls from the chat.
        return next(
            (a for a in self._directory.assemblies if self._people.is_member(a, user_id)), None
        )

    def _chat_of(self, user_id: str) -> str | None:
        return next((chat for chat, owner in self._owners.items() if owner == user_id), None)

    # -- asking for a ballot -------------------------------------------------------------------

    async def request(
        self, assembly: Assembly, user_id: str, number: int | None, *, ts: int
    ) -> BallotRequest:
        """`!ballot`, inside the command's transaction: the ballots go to the person's chat at
        once (again, for one that could not be delivered), or, if there is no chat yet, the
        chat is made outside the transaction first."""
        wanted = await self._polls.open_secret_polls(assembly, number)
        if not wanted:
            return BallotRequest([], chat_pending=False)
        chat = await self._store.ballot_room_of(user_id)
        if chat is not None and self._usable(chat, user_id):
            only = wanted[0].id if number is not None else None
            await self._polls.post_ballots(assembly, user_id, chat, only)
            return BallotRequest(wanted, chat_pending=False)
        await self._store.want_ballot_room(user_id, ts)
        self._wake.set()  # the worker waits for this transaction before it reads the request
        return BallotRequest(wanted, chat_pending=True)

    def _usable(self, chat: str, user_id: str) -> bool:
        if self._chats is None:
            return True
        return self._chats.is_open(chat, user_id) and self._chats.is_private(chat, user_id)

    async def keep_chats(self, stop: asyncio.Event) -> None:
        """Make the chats people asked for and serve the ones they invited the bot to, never
        inside a transaction. Nothing here waits for a chat to come in by sync: the ballots
        wait in the outbox, so one person's chat never holds up another's."""
        while not stop.is_set():
            self._wake.clear()
            retry = False
            for user_id in await self._store.wanted_ballot_rooms():
                retry |= not await self._open_for(user_id)
            while self._arrived:
                chat, user_id = self._arrived.popitem()
                await self._take_invited(chat, user_id)
            while self._declined:
                await self._decline(*self._declined.popitem())
            while self._crowded:
                await self._retire(self._crowded.pop())
            while self._abandoned:
                await self._forget(self._abandoned.pop())
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait(
                {waiter, stopper},
                timeout=RETRY_SECONDS if retry else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            waiter.cancel()
            stopper.cancel()

    async def _open_for(self, user_id: str) -> bool:
        """False when the chat could not be made now (tried again later)."""
        assembly = self._assembly_of(user_id)
        if assembly is None or self._chats is None:
            return True  # no longer a member: nothing to make
        chat = await self._chats.open_with(user_id)
        if chat is None:
            return False
        await self._serve(assembly, user_id, chat)
        return True

    # -- a person invites the bot to a direct chat -------------------------------------------

    def may_join(self, room_id: str, inviter: str) -> bool:
        """Only members of an assembly's rooms get a direct chat with the bot, and one each:
        a second invite from someone who has one is refused, with the reason."""
        if self._assembly_of(inviter) is None:
            return False
        chat = self._chat_of(inviter)
        if chat is not None and chat != room_id and self._usable(chat, inviter):
            self._declined[room_id] = inviter
            self._wake.set()
            return False
        return True

    async def joined(self, room_id: str, inviter: str) -> None:
        """Called from the sync loop, which must not wait for its own next sync: the worker
        serves the chat."""
        self._arrived[room_id] = inviter
        self._wake.set()

    async def _take_invited(self, chat: str, user_id: str) -> None:
        """A chat a person made is a ballot chat only if just the two of us are in it."""
        assembly = self._assembly_of(user_id)
        if assembly is None or self._chats is None:
            return
        people = await self._chats.people_in(chat)
        if people is not None and people <= {user_id, self._bot_user_id}:
            await self._serve(assembly, user_id, chat)
            return
        log.info("leaving %s: not a chat between the bot and %s alone", chat, user_id)
        await self._chats.decline(chat, self._wording(assembly, user_id, "poll.ballot.not_alone"))

    async def _decline(self, chat: str, user_id: str) -> None:
        assembly = self._assembly_of(user_id)
        if assembly is None or self._chats is None:
            return
        log.info("refusing a second direct chat %s from %s", chat, user_id)
        await self._chats.decline(chat, self._wording(assembly, user_id, "poll.ballot.have_one"))

    def _wording(self, assembly: Assembly, user_id: str, key: str) -> str:
        language = self._people.home_room(assembly, user_id).language
        return self._delivery.text(language, Msg.of(key, ballot=self._ballot_command()))

    def _ballot_command(self) -> Msg:
        return Msg.of("poll.ballot_command", prefix=self._prefix)

    async def _retire(self, chat: str) -> None:
        """Someone else has come into a ballot chat: the bot says so there and stops using it;
        the person's next `!ballot` opens a new one."""
        owner = self._owners.pop(chat, None)
        assembly = self._assembly_of(owner) if owner else None
        if owner is None:
            return
        log.info("direct chat %s with %s has someone else in it: no longer used", chat, owner)
        async with self._db.transaction():
            await self._store.drop_ballot_room(owner, chat)
            if assembly is not None:
                home = self._people.home_room(assembly, owner)
                await self._delivery.deliver(
                    [reply(Msg.of("poll.ballot.crowded", ballot=self._ballot_command()))],
                    cause=f"ballot-chat-crowded:{chat}",
                    assembly=assembly,
                    room=AssemblyRoom(chat, home.language, home.center, home.timezone),
                )
        self._delivery.wake()

    async def _forget(self, chat: str) -> None:
        """The person left their ballot chat: no ballot goes there again (it would wait for
        them for ever), and the bot leaves too; the next `!ballot` opens a new one."""
        owner = self._owners.pop(chat, None)
        if owner is None:
            return
        log.info("%s left direct chat %s: no longer used", owner, chat)
        async with self._db.transaction():
            await self._store.drop_ballot_room(owner, chat)
        if self._chats is not None:
            await self._chats.decline(chat, "")

    async def _serve(self, assembly: Assembly, user_id: str, chat: str) -> None:
        """The chat becomes the person's ballot chat; open secret polls' ballots go there."""
        if self._chats is not None:
            await self._chats.watch(chat)
        async with self._db.transaction():
            await self._store.set_ballot_room(user_id, chat, self._clock())
            for known, owner in list(self._owners.items()):
                if owner == user_id:
                    del self._owners[known]
            self._owners[chat] = user_id
            posted = await self._polls.post_ballots(assembly, user_id, chat)
            wrote = self._letters is not None and await self._letters.post_waiting(user_id, chat)
            room = self.private_room(chat)
            if not posted and not wrote and room is not None:
                await self._delivery.deliver(
                    [reply(Msg.of("poll.ballot.welcome"))],
                    cause=f"ballot-chat:{chat}",
                    assembly=assembly,
                    room=room.room,
                )
        self._delivery.wake()
