"""Where each incoming event goes: a command to the router, anything else to the feature that
took its intake (`bot/framework/intakes.py`).

Every event is recorded as handled in the same transaction as the messages it causes, so after
a crash it is either entirely done or not done at all, and never done twice. The events of one
sync are handled together, in one transaction that marks them all at once: a handful of
statements for the whole batch instead of a transaction each. Should one of them meet a bug, the
batch is undone and handled again one event at a time, each in a savepoint of its own, so the
bug's half-done writes are undone while the others' stand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyDirectory, AssemblyRoom, PrivateRoom
from bot.domain.events import MESSAGE, IncomingEvent
from bot.domain.membership import Membership
from bot.domain.mentions import mentioned_users, pills_in
from bot.domain.text_protection import strip_reply_fallback
from bot.framework.errors import is_transient
from bot.framework.feature import EventService, SpeechObserver
from bot.framework.intakes import Intake, intake_of
from bot.framework.router import Router
from bot.storage.database import Database
from bot.storage.runtime_store import RuntimeStore

log = logging.getLogger(__name__)

COMMAND_MSGTYPES = ("m.text", "m.notice")


class _Stumbled(Exception):
    """An event of the batch met a bug: the batch is handled again, one event at a time."""


class Dispatcher:
    def __init__(
        self,
        *,
        bot_user_id: str,
        ignore_users: tuple[str, ...],
        db: Database,
        store: RuntimeStore,
        directory: AssemblyDirectory,
        router: Router,
        delivery: Delivery,
        members: Membership,
        names: Callable[[Assembly, str], str],
        centers: Callable[[Assembly, str, str | None], str],
    ) -> None:
        self._bot_user_id = bot_user_id
        self._ignored = set(ignore_users)
        self._db = db
        self._store = store
        self._directory = directory
        self._router = router
        self._delivery = delivery
        # Display names as each room's members set them: what a pill's text shows.
        self._members = members
        # The name each person is shown by (`People.display_name`).
        self._names = names
        # The center each person belongs to (`People.center_of`), shown beside their name.
        self._centers = centers
        self._intakes: dict[Intake, EventService] = {}
        self._private_intakes: dict[Intake, EventService] = {}
        self._private_room: Callable[[str], PrivateRoom | None] = lambda room_id: None
        self._speech_observers: list[SpeechObserver] = []

    def take(self, intake: Intake, service: EventService, *, private: bool = False) -> None:
        """Events of this intake (in assembly rooms, or in direct chats) go to `service`. Each
        intake has one taker: a second is a wiring mistake, refused at start."""
        takers = self._private_intakes if private else self._intakes
        if intake in takers:
            raise ValueError(f"the {intake} intake{' in direct chats' if private else ''} is taken")
        takers[intake] = service

    def serve_private(self, private_room: Callable[[str], PrivateRoom | None]) -> None:
        """How to tell a person's direct chat with the bot (None for any other room)."""
        self._private_room = private_room

    def add_speech_observer(self, observer: SpeechObserver) -> None:
        """Told of every message a person sends in an assembly room, command or not."""
        self._speech_observers.append(observer)

    async def handle(self, event: IncomingEvent) -> None:
        await self.handle_all([event])

    async def handle_all(self, events: Sequence[IncomingEvent]) -> None:
        """Handle the events of one sync, in order. What the bot ignores (its own messages,
        ignored senders, rooms it does not serve) is not even marked: ignoring it again costs
        nothing."""
        wanted = [event for event in events if not self._ignore(event)]
        if not wanted:
            return
        try:
            async with self._db.transaction():
                fresh = await self._store.mark_all_handled(
                    [(event.event_id, event.room_id) for event in wanted]
                )
                for event in wanted:
                    if event.event_id in fresh:
                        await self._route_or_stumble(event)
        except _Stumbled:
            # Nothing of the batch was written; what lives only in memory and was done before
            # the bug (a fair-use token spent, a timer armed) is done once more, which the
            # timers (replaced by name) and the buckets (a token, rarely) can bear.
            for event in wanted:
                await self._handle_guarded(event)
        self._delivery.wake()

    async def _route_or_stumble(self, event: IncomingEvent) -> None:
        try:
            await self._route(event)
        except Exception as error:
            if is_transient(error):
                raise  # the bot's footing failed, not the event: the batch comes again
            raise _Stumbled from error

    async def _handle_guarded(self, event: IncomingEvent) -> None:
        """One event in its own transaction, its handling in a savepoint."""
        async with self._db.transaction():
            if await self._store.mark_handled(event.event_id, event.room_id):
                await self._route_guarded(event)

    async def _route_guarded(self, event: IncomingEvent) -> None:
        try:
            async with self._db.savepoint():
                await self._route(event)
        except Exception as error:
            if is_transient(error):
                # The bot's footing failed, not the event: it stays unhandled and comes again.
                raise
            # A bug, or an event nobody foresaw: its half-done writes are undone, it stays
            # recorded as handled (retrying would fail the same way), and the bot goes on.
            log.exception("failed to handle %s %s in %s", event.type, event.event_id, event.room_id)

    async def _route(self, event: IncomingEvent) -> None:
        if self._directory.for_room(event.room_id) is None:
            await self._route_private(event)
            return
        await self._tell_observers(event)
        if await self._handle_command(event):
            return
        await self._to_intake(event, self._intakes)

    async def _tell_observers(self, event: IncomingEvent) -> None:
        assembly = self._directory.for_room(event.room_id)
        if assembly is None or event.type != MESSAGE or event.is_edit:
            return
        for observer in self._speech_observers:
            await observer(assembly, event.sender, event.room_id)

    def _ignore(self, event: IncomingEvent) -> bool:
        return (
            event.sender == self._bot_user_id
            or event.sender in self._ignored
            or event.from_a_bot
            or (
                self._directory.for_room(event.room_id) is None
                and self._private_room(event.room_id) is None
            )
        )

    async def _route_private(self, event: IncomingEvent) -> None:
        """A direct chat: only its person is heard, and only by the commands and services
        meant for it."""
        private = self._private_room(event.room_id)
        if private is None or event.sender != private.owner:
            return
        if await self._handle_command(event, private.assembly, private.room, private=True):
            return
        await self._to_intake(event, self._private_intakes)

    @staticmethod
    async def _to_intake(event: IncomingEvent, takers: dict[Intake, EventService]) -> None:
        intake = intake_of(event)
        service = takers.get(intake) if intake is not None else None
        if service is not None:
            await service(event)

    async def _handle_command(
        self,
        event: IncomingEvent,
        assembly: Assembly | None = None,
        room: AssemblyRoom | None = None,
        *,
        private: bool = False,
    ) -> bool:
        if event.type != MESSAGE or event.is_edit or event.msgtype not in COMMAND_MSGTYPES:
            return False
        if assembly is None:
            assembly = self._directory.for_room(event.room_id)
            room = assembly.room(event.room_id) if assembly else None
        if assembly is None or room is None:
            return False
        body, html = event.body, event.formatted_body
        if event.in_reply_to:
            # Some clients quote the message replied to before a reply: `!fix` is a reply.
            body, html = strip_reply_fallback(body, html)
        outcomes = await self._router.route(
            body,
            event_id=event.event_id,
            reply_to=event.in_reply_to,
            pills=pills_in(
                body,
                html,
                mentioned_users(event.content),
                lambda user_id: self._members.display_name(event.room_id, user_id),
            ),
            sender=event.sender,
            sender_name=self._names(assembly, event.sender),
            sender_center=self._centers(assembly, event.sender, room.room_id),
            ts=event.ts,
            assembly=assembly,
            room=room,
            private=private,
        )
        if outcomes is None:
            return False
        await self._delivery.deliver(
            outcomes, cause=event.event_id, assembly=assembly, room=room, reply_to=event.event_id
        )
        return True
