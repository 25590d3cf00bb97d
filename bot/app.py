"""The one place where Asamblea's parts are built and wired together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import AssemblyConfig, Config
from bot.domain.assembly import Assembly, AssemblyDirectory, AssemblyRoom
from bot.domain.text_protection import Glossary
from bot.framework.dispatcher import Dispatcher
from bot.framework.router import Router
from bot.i18n import Catalogs
from bot.matrix.backoff import Backoff
from bot.matrix.crypto import (
    Encryption,
    MirrorPrivacy,
    RetryTiming,
    UndecryptableNotices,
    undecryptable_label,
)
from bot.matrix.members import RoomMembers
from bot.matrix.runtime import MatrixRuntime, make_client
from bot.matrix.sender import OutboxSender
from bot.render.minutes import MinutesRenderer
from bot.services.agenda import AgendaService
from bot.services.chairs import ChairService
from bot.services.decisions import DecisionLog
from bot.services.delivery import Delivery
from bot.services.meeting_timers import MeetingTimers
from bot.services.meetings import MeetingService
from bot.services.minutes import MinutesService
from bot.services.mirror import MirrorService, MirrorTuning
from bot.services.people import People
from bot.services.polls import PollService, is_poll_response
from bot.services.reminders import Reminders
from bot.services.stack import StackBoard, StackService
from bot.services.translation import build_translator
from bot.storage.database import Database
from bot.storage.meetings_store import MeetingsStore
from bot.storage.mirror_store import MirrorStore, SqliteTranslationCache
from bot.storage.polls_store import PollsStore
from bot.storage.records_store import RecordsStore
from bot.storage.runtime_store import RuntimeStore, now_ms
from commands.agenda import AgendaCommands
from commands.general import GeneralCommands, StatusSection
from commands.meetings import MeetingCommands
from commands.mirror import MirrorCommands
from commands.polls import PollCommands
from commands.records import RecordsCommands
from commands.schedule import ScheduleCommands
from commands.stack import StackCommands, wants_raised_hand

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tuning:
    """Knobs the tests turn down so that waits are short; production uses the defaults."""

    sync_timeout_ms: int = 30_000
    backoff_initial: float = 1.0
    backoff_maximum: float = 60.0
    mirror: MirrorTuning = field(default_factory=MirrorTuning)
    crypto: RetryTiming = field(default_factory=RetryTiming)


class Asamblea:
    def __init__(self, config: Config, tuning: Tuning | None = None) -> None:
        self.config = config
        self.tuning = tuning or Tuning()
        self.catalogs = Catalogs.load_default()
        self.client = make_client(config.matrix)
        self.db: Database | None = None
        self.runtime: MatrixRuntime | None = None
        self.crypto: Encryption | None = None
        self.ready = asyncio.Event()
        # Timers (timeboxes, turn limits, reminders) are rebuilt from the database at start-up;
        # the scheduler itself keeps nothing.
        self.scheduler = AsyncIOScheduler(timezone=UTC)

    async def run(self, stop: asyncio.Event) -> None:
        """Start, serve until `stop` is set, and shut down cleanly."""
        self.db = await Database.open(self.config.database_path)
        try:
            await self._serve(self.db, stop)
        finally:
            await self.client.close()
            await self.db.close()

    async def _serve(self, db: Database, stop: asyncio.Event) -> None:
        store = RuntimeStore(db)
        crypto = Encryption(
            self.client, self.config.matrix.encryption, store, timing=self.tuning.crypto
        )
        self.crypto = crypto
        sender = OutboxSender(self.client, store, trust=crypto.trust)
        members = RoomMembers(self.client)
        delivery = Delivery(store, self.catalogs, members, sender.wake)
        runtime = MatrixRuntime(
            self.client,
            self.config.matrix,
            store,
            on_event=lambda event: dispatcher.handle(event),
            sync_timeout_ms=self.tuning.sync_timeout_ms,
            backoff=Backoff(self.tuning.backoff_initial, self.tuning.backoff_maximum),
            crypto=crypto,
        )
        self.runtime = runtime
        await runtime.login()
        resolved = await runtime.resolve_rooms(
            room.room for assembly in self.config.assemblies for room in assembly.rooms
        )
        directory = AssemblyDirectory(self._assemblies(resolved))
        runtime.room_ids = directory.room_ids
        # wiring: encryption (messages the bot cannot read get a reaction in the room's language;
        # encrypted rooms are mirrored into unencrypted ones only where the config allows it)
        crypto.notices = UndecryptableNotices(
            store, undecryptable_label(self.catalogs, directory), sender.wake
        )
        privacy = MirrorPrivacy(
            self.client,
            directory,
            frozenset(a.name for a in self.config.assemblies if a.allow_unencrypted_mirror),
            encryption_enabled=self.config.matrix.encryption.enabled,
        )
        crypto.on_sync.append(privacy.review)
        chairs = ChairService(members)
        router = Router(self.config.command_prefix, self.catalogs, chairs, db.savepoint)
        dispatcher = Dispatcher(
            bot_user_id=self.config.matrix.user_id,
            ignore_users=self.config.ignore_users,
            db=db,
            store=store,
            directory=directory,
            router=router,
            delivery=delivery,
            members=members,
        )
        people = People(members)
        # Run after login and before serving: services rebuild timers from the database here.
        restore: list[Callable[[], Awaitable[None]]] = []
        # Loops that run beside the sync loop until stop (the mirroring worker, for one).
        background: list[Callable[[asyncio.Event], Awaitable[None]]] = []
        status_sections: list[StatusSection] = []
        router.add_group(
            GeneralCommands(
                lambda: router.commands,
                lambda bound, language: router.usage(bound.spec, language),
                self.config.command_prefix,
                status_sections,
            )
        )
        # wiring: meetings
        meetings_store = MeetingsStore(db)
        meetings = MeetingService(meetings_store, people, chairs, self.config.command_prefix)
        chairs.add_source(meetings)
        dispatcher.add_speech_observer(meetings.note_speaker)
        meeting_timers = MeetingTimers(
            self.scheduler,
            db.transaction,
            meetings_store,
            delivery,
            directory.by_name,
            people.display_name,
            meetings.clock,
        )
        speaker_stack = StackService(meetings_store, meetings, people, meeting_timers)
        stack_commands = StackCommands(
            speaker_stack,
            meetings,
            StackBoard(meetings_store, delivery.deliver, store.sent_event_id),
            people,
            directory.for_room,
            db.savepoint,
        )
        agenda = AgendaService(meetings_store, meetings, meeting_timers)
        router.add_group(MeetingCommands(meetings, people))
        router.add_group(AgendaCommands(agenda, meetings, people))
        router.add_group(stack_commands)
        dispatcher.add_service(wants_raised_hand, stack_commands.on_reaction)
        restore.append(meeting_timers.restore)
        # wiring: polls
        polls = PollService(
            db=db,
            store=PollsStore(db),
            runtime=store,
            delivery=delivery,
            people=people,
            directory=directory,
            catalogs=self.catalogs,
            prefix=self.config.command_prefix,
            scheduler=self.scheduler,
            ready=runtime.first_sync_done.wait,
        )
        router.add_group(PollCommands(polls, self.config.command_prefix))
        dispatcher.add_service(is_poll_response, polls.accept_response)
        restore.append(polls.restore)
        # wiring: mirroring
        translation_cache = SqliteTranslationCache(db)
        translator, provider = build_translator(self.config.translation, cache=translation_cache)
        mirror = MirrorService(
            db=db,
            store=MirrorStore(db),
            directory=directory,
            people=people,
            delivery=delivery,
            translator=translator,
            glossaries={a.name: glossary_of(a) for a in self.config.assemblies},
            catalogs=self.catalogs,
            tuning=self.tuning.mirror,
            may_mirror=privacy.may_mirror,
        )
        dispatcher.add_service(mirror.wants, mirror.accept)
        delivery.texts = mirror
        mirror_commands = MirrorCommands(mirror, self.config.command_prefix)
        router.add_group(mirror_commands)
        status_sections.append(mirror_commands.status)
        background.append(mirror.run)
        # wiring: records
        records_store = RecordsStore(db)
        decision_log = DecisionLog(
            records_store,
            MeetingsStore(db),
            people,
            self.config.command_prefix,
            translator=lambda: delivery.texts,
        )
        reminders = Reminders(
            scheduler=self.scheduler,
            transaction=db.transaction,
            store=records_store,
            delivery=delivery,
            directory=directory,
            offsets={a.name: a.reminder_offsets for a in self.config.assemblies},
            prefix=self.config.command_prefix,
            ready=runtime.first_sync_done.wait,
        )
        decision_log.on_action.append(reminders.watch_action)
        minutes = MinutesService(
            records_store, MeetingsStore(db), PollsStore(db), MinutesRenderer(self.catalogs), now_ms
        )
        router.add_group(
            RecordsCommands(
                decision_log,
                minutes,
                delivery,
                people.display_name,
                people.center_of,
                self.config.command_prefix,
            )
        )
        router.add_group(ScheduleCommands(reminders, delivery, self.config.command_prefix))
        restore.append(reminders.restore)
        for step in restore:
            await step()
        try:
            await self._run_tasks(stop, [runtime.run, sender.run, *background], runtime)
        finally:
            await provider.aclose()
            await translation_cache.flush()

    async def _run_tasks(
        self,
        stop: asyncio.Event,
        loops: list[Callable[[asyncio.Event], Awaitable[None]]],
        runtime: MatrixRuntime,
    ) -> None:
        self.scheduler.start()
        tasks = [asyncio.create_task(loop(stop)) for loop in loops]
        ready = asyncio.create_task(self._announce_ready(runtime))
        stopping = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait([*tasks, stopping], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # re-raise a fatal error from either loop
        finally:
            stop.set()
            # A long-poll sync would hold shutdown for its whole timeout; whatever is cut off here
            # is still pending in the database and the outbox, and is finished after a restart.
            for task in (*tasks, ready, stopping):
                task.cancel()
            await asyncio.gather(*tasks, ready, stopping, return_exceptions=True)
            self.scheduler.shutdown(wait=False)

    async def _announce_ready(self, runtime: MatrixRuntime) -> None:
        await runtime.first_sync_done.wait()
        log.info("Asamblea is serving %d assemblies", len(self.config.assemblies))
        self.ready.set()

    def _assemblies(self, resolved: dict[str, str]) -> tuple[Assembly, ...]:
        assemblies = []
        for settings in self.config.assemblies:
            rooms = tuple(
                AssemblyRoom(resolved[room.room], room.language, room.center, room.timezone)
                for room in settings.rooms
                if room.room in resolved
            )
            assemblies.append(
                Assembly(
                    name=settings.name,
                    rooms=rooms,
                    chairs=settings.chairs,
                    power_level_chairs=settings.power_level_chairs,
                    stack_policy=str(settings.stack_policy),
                    turn_limit_seconds=settings.turn_limit_seconds,
                    decision_rule=str(settings.decision_rule),
                )
            )
        return tuple(assemblies)


def glossary_of(assembly: AssemblyConfig) -> Glossary:
    fixed = {
        tuple(pair.split("-", 1)): dict(terms) for pair, terms in assembly.glossary_fixed.items()
    }
    return Glossary(keep=assembly.glossary_keep, fixed=fixed)
