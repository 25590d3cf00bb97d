"""The one place where Asamblea's parts are built and wired together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import AssemblyConfig, Config
from bot.domain.assembly import Assembly, AssemblyDirectory, AssemblyRoom
from bot.domain.events import IncomingEvent
from bot.domain.fair_use import Budget, FairUse
from bot.domain.text_protection import Glossary
from bot.domain.words import counted
from bot.framework.commands import CommandGroup, StatusSection
from bot.framework.dispatcher import Dispatcher
from bot.framework.router import Router
from bot.i18n import Catalogs
from bot.matrix.backoff import Backoff
from bot.matrix.direct import DirectChats
from bot.matrix.encryption import Encryption, RetryTiming
from bot.matrix.members import RoomMembers
from bot.matrix.privacy import MirrorPrivacy
from bot.matrix.runtime import MatrixRuntime, make_client
from bot.matrix.sender import OutboxSender
from bot.matrix.undecryptable import UndecryptableNotices, undecryptable_label
from bot.observability.metrics import Metrics
from bot.observability.server import Listener, start_listener
from bot.services.agenda import AgendaService
from bot.services.authority import AuthorityService
from bot.services.ballots import BallotBox
from bot.services.decisions import DecisionLog
from bot.services.delivery import Delivery
from bot.services.interpretation import InterpretationService
from bot.services.language_detection import LanguageDetector
from bot.services.meeting_timers import MeetingTimers
from bot.services.meetings import MeetingService
from bot.services.minutes import MinutesService
from bot.services.mirror import MirrorService, MirrorTuning
from bot.services.people import Membership, People
from bot.services.polls import PollService
from bot.services.reminders import Reminders
from bot.services.stack import StackBoard, StackService
from bot.services.timers import Timers, utc_now
from bot.services.translation import build_translator
from bot.storage.database import Database
from bot.storage.decisions_store import DecisionsStore
from bot.storage.interpretation_store import InterpretationStore
from bot.storage.meetings_store import MeetingsStore
from bot.storage.mirror_store import MirrorStore, SqliteTranslationCache
from bot.storage.people_store import PeopleStore
from bot.storage.polls_store import PollsStore
from bot.storage.reminders_store import RemindersStore
from bot.storage.rooms_store import AssemblyRoomsStore
from bot.storage.runtime_store import RuntimeStore, now_ms
from bot.storage.schedules_store import SchedulesStore
from commands.agenda import AgendaCommands
from commands.general import GeneralCommands
from commands.interpretation import InterpretationCommands
from commands.meetings import MeetingCommands
from commands.mirror import MirrorCommands
from commands.polls import PollCommands
from commands.records import RecordsCommands
from commands.schedule import ScheduleCommands
from commands.stack import StackCommands

log = logging.getLogger(__name__)

# The translation cache keeps this many of its newest entries (pruned hourly).
TRANSLATION_CACHE_ENTRIES = 20_000


@dataclass(frozen=True)
class Tuning:
    """Knobs the tests turn down so that waits are short; production uses the defaults."""

    sync_timeout_ms: int = 30_000
    backoff_initial: float = 1.0
    backoff_maximum: float = 60.0
    mirror: MirrorTuning = field(default_factory=MirrorTuning)
    crypto: RetryTiming = field(default_factory=RetryTiming)


class Asamblea:
    def __init__(
        self,
        config: Config,
        tuning: Tuning | None = None,
        *,
        scheduler: Any = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """`scheduler` and `clock` are for tests that move time on instead of waiting for it."""
        self.config = config
        self.tuning = tuning or Tuning()
        self.catalogs = Catalogs.load_default()
        self.client = make_client(config.matrix)
        self.db: Database | None = None
        self.runtime: MatrixRuntime | None = None
        self.crypto: Encryption | None = None
        self.ready = asyncio.Event()
        # Timers (timeboxes, turn limits, reminders, deadlines) are rebuilt from the database at
        # start-up; the scheduler itself keeps nothing.
        self.scheduler = scheduler if scheduler is not None else AsyncIOScheduler(timezone=UTC)
        self.clock = clock
        self.metrics = Metrics()
        self.listener: Listener | None = None  # /health and /metrics, when configured

    async def run(self, stop: asyncio.Event) -> None:
        """Start, serve until `stop` is set, and shut down cleanly."""
        self.db = await Database.open(self.config.database_path)
        try:
            await self._serve(self.db, stop)
        finally:
            if self.listener is not None:
                await self.listener.close()
            await self.client.close()
            await self.db.close()

    async def _serve(self, db: Database, stop: asyncio.Event) -> None:
        store = RuntimeStore(db)
        crypto = Encryption(
            self.client, self.config.matrix.encryption, store, timing=self.tuning.crypto
        )
        self.crypto = crypto
        sender = OutboxSender(self.client, store, trust=crypto.trust, metrics=self.metrics)
        members = RoomMembers(self.client)
        core: Core | None = None

        async def handle(event: IncomingEvent) -> None:
            await core.dispatcher.handle(event)  # type: ignore[union-attr]
            self.metrics.event_handled()

        runtime = MatrixRuntime(
            self.client,
            self.config.matrix,
            store,
            on_event=handle,
            sync_timeout_ms=self.tuning.sync_timeout_ms,
            backoff=Backoff(self.tuning.backoff_initial, self.tuning.backoff_maximum),
            crypto=crypto,
        )
        self.runtime = runtime
        # Listening before login, so that a probe hears "no sync yet" rather than nothing.
        self.listener = await start_listener(
            self.config.observability,
            self.metrics,
            runtime,
            store,
            (assembly.name for assembly in self.config.assemblies),
        )
        await runtime.login()
        resolved = await runtime.resolve_rooms(
            room.room for assembly in self.config.assemblies for room in assembly.rooms
        )
        directory = AssemblyDirectory(assemblies_of(self.config, resolved))
        runtime.room_ids = directory.room_ids
        privacy = self._wire_encryption(crypto, store, sender, directory)
        platform = Platform(
            config=self.config,
            tuning=self.tuning,
            catalogs=self.catalogs,
            db=db,
            runtime_store=store,
            delivery=Delivery(store, self.catalogs, members, sender.wake),
            members=members,
            directory=directory,
            scheduler=self.scheduler,
            ready=runtime.first_sync_done.wait,
            clock=self.clock,
            may_mirror=privacy.may_mirror,
            chats=DirectChats(
                self.client, runtime, store, encrypted=self.config.matrix.encryption.enabled
            ),
            metrics=self.metrics,
        )
        core = build_core(platform)
        sender.finish = core.delivery.finish
        runtime.pruning.extend(core.pruning)
        runtime.direct_invites = core.ballots
        for step in core.restore:
            await step()
        try:
            await self._run_tasks(stop, [runtime.run, sender.run, *core.background], runtime)
        finally:
            await core.close()

    def _wire_encryption(
        self,
        crypto: Encryption,
        store: RuntimeStore,
        sender: OutboxSender,
        directory: AssemblyDirectory,
    ) -> MirrorPrivacy:
        """Messages the bot cannot read get a reaction in the room's language; encrypted rooms
        are mirrored into unencrypted ones only where the configuration allows it."""
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
        return privacy

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
        count = len(self.config.assemblies)
        log.info("Asamblea is serving %s", counted(count, "assembly", "assemblies"))
        self.ready.set()


def glossary_of(assembly: AssemblyConfig) -> Glossary:
    fixed = {
        tuple(pair.split("-", 1)): dict(terms) for pair, terms in assembly.glossary_fixed.items()
    }
    return Glossary(keep=assembly.glossary_keep, fixed=fixed)


def fair_use_of(config: Config) -> FairUse:
    return FairUse(
        {a.name: Budget(a.command_burst, a.command_refill_seconds) for a in config.assemblies}
    )


def assemblies_of(config: Config, resolved: dict[str, str]) -> tuple[Assembly, ...]:
    """The configured assemblies, with room aliases resolved to room ids."""
    assemblies = []
    for settings in config.assemblies:
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
                who_may_start=str(settings.who_may_start),
                stack_policy=str(settings.stack_policy),
                turn_limit_seconds=settings.turn_limit_seconds,
                decision_rule=str(settings.decision_rule),
                interpreters=settings.interpreters,
                members_may_fix=settings.members_may_fix,
                member_centers=tuple(settings.member_centers.items()),
                secret_min_per_center=settings.secret_min_per_center,
            )
        )
    return tuple(assemblies)


# -- the assembly's logic, built on whatever Matrix side it is given -------------------------


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Platform:
    """What the Matrix side hands to the assembly's logic."""

    config: Config
    tuning: Tuning
    catalogs: Catalogs
    db: Database
    runtime_store: RuntimeStore
    delivery: Delivery
    members: Membership
    directory: AssemblyDirectory
    scheduler: Any  # APScheduler's AsyncIOScheduler, or anything with add_job/remove_job
    ready: Callable[[], Awaitable[Any]]
    clock: Callable[[], datetime] = utc_now  # what timers, reminders and meetings take for "now"
    may_mirror: Callable[[str, str], bool] | None = None
    chats: DirectChats | None = None  # None: no direct chats (offline tests)
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def prefix(self) -> str:
        return self.config.command_prefix

    def clock_ms(self) -> int:
        """The clock read as Matrix timestamps are: milliseconds since the epoch."""
        return (self.clock() - _EPOCH) // timedelta(milliseconds=1)


@dataclass
class Core:
    """The router and dispatcher with every command group and service wired in."""

    router: Router
    dispatcher: Dispatcher
    people: People
    authority: AuthorityService
    delivery: Delivery
    # Run after login and before serving: services rebuild timers from the database here.
    restore: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Loops that run beside the sync loop until stop (the mirroring worker, for one).
    background: list[Callable[[asyncio.Event], Awaitable[None]]] = field(default_factory=list)
    status_sections: list[StatusSection] = field(default_factory=list)
    closing: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Tables pruned hourly beside the handled events (name, step given the 30-day cutoff).
    pruning: list[tuple[str, Callable[[int], Awaitable[int]]]] = field(default_factory=list)
    ballots: BallotBox | None = None

    def install(self, group: CommandGroup) -> None:
        """A command group's commands go to the router; its hooks each go to their one taker."""
        self.router.add_group(group)
        hooks = group.hooks()
        for wants, service in hooks.events:
            self.dispatcher.add_service(wants, service)
        if hooks.private_room is not None:
            self.dispatcher.serve_private(hooks.private_room)
        for wants, service in hooks.private_events:
            self.dispatcher.add_private_service(wants, service)
        for observer in hooks.speech:
            self.dispatcher.add_speech_observer(observer)
        self.status_sections.extend(hooks.status)
        self.restore.extend(hooks.restore)
        self.background.extend(hooks.background)

    async def close(self) -> None:
        for step in self.closing:
            await step()


def build_core(platform: Platform) -> Core:
    """Every command group, each constructed in one place and installed by one call. The order
    of installation is the order of `!help` and the order in which groups are offered events
    that are not commands."""
    meetings_store = MeetingsStore(platform.db)
    interpretation = InterpretationService(
        platform.db,
        InterpretationStore(platform.db),
        {a.name: glossary_of(a) for a in platform.config.assemblies},
    )
    core = _router_and_dispatcher(platform, meetings_store, interpretation)
    core.restore.append(lambda: interpretation.load(platform.directory.assemblies))
    people, prefix = core.people, platform.prefix
    # Every delayed job (timeboxes, turn limits, poll deadlines, reminders) runs through these.
    timers = Timers(
        platform.scheduler,
        platform.db.transaction,
        ready=platform.ready,
        wake=platform.delivery.wake,
        clock=platform.clock,
    )
    meetings = MeetingService(meetings_store, people, core.authority, prefix, platform.clock_ms)
    notices = MeetingTimers(
        timers, meetings_store, platform.delivery, platform.directory.by_name, people.display_name
    )
    # Agenda timeboxes and turn limits share these notices.
    core.restore.append(notices.restore)
    core.install(MeetingCommands(meetings, people))
    core.install(AgendaCommands(AgendaService(meetings_store, meetings, notices), meetings, people))
    core.install(_stack_commands(core, platform, meetings_store, meetings, notices))
    core.install(_poll_commands(core, platform, meetings_store, timers))
    mirror_commands = _mirror_commands(core, platform, meetings, interpretation)
    core.install(mirror_commands)
    core.install(InterpretationCommands(interpretation, mirror_commands.mirror, people, prefix))
    decisions = DecisionsStore(platform.db)
    reminders = _reminders(platform, decisions, timers)
    core.install(_records_commands(core, platform, decisions, meetings_store, reminders))
    core.install(ScheduleCommands(reminders, platform.delivery, prefix))
    # Old sent messages go, except those a stack message, a poll start or a mirrored copy
    # still points at: each of those stores says which it needs.
    references = (meetings_store, PollsStore(platform.db), MirrorStore(platform.db))
    core.pruning.append(
        (
            "sent messages",
            lambda cutoff: platform.runtime_store.forget_sent_before(cutoff, references),
        )
    )
    return core


def _router_and_dispatcher(
    platform: Platform, meetings_store: MeetingsStore, interpretation: InterpretationService
) -> Core:
    people = People(platform.members, PeopleStore(platform.db), platform.clock_ms)
    authority = AuthorityService(platform.members, meetings_store, people, interpretation)
    router = Router(
        platform.prefix,
        platform.catalogs,
        authority,
        platform.db.savepoint,
        fair_use=fair_use_of(platform.config),
    )
    dispatcher = Dispatcher(
        bot_user_id=platform.config.matrix.user_id,
        ignore_users=platform.config.ignore_users,
        db=platform.db,
        store=platform.runtime_store,
        directory=platform.directory,
        router=router,
        delivery=platform.delivery,
        members=platform.members,
    )
    core = Core(router, dispatcher, people, authority, platform.delivery)
    core.status_sections.append(platform.delivery.status)
    core.install(
        GeneralCommands(
            router,
            platform.prefix,
            core.status_sections,  # read at each `!status`, so later groups' sections count
            room_name=platform.members.room_name,
        )
    )
    return core


def _stack_commands(
    core: Core,
    platform: Platform,
    store: MeetingsStore,
    meetings: MeetingService,
    timers: MeetingTimers,
) -> StackCommands:
    return StackCommands(
        StackService(store, meetings, core.people, timers),
        meetings,
        StackBoard(store, platform.delivery.deliver, platform.runtime_store.sent_event_id),
        core.people,
        platform.directory.for_room,
        platform.db.savepoint,
    )


def _poll_commands(
    core: Core, platform: Platform, meetings_store: MeetingsStore, timers: Timers
) -> PollCommands:
    store = PollsStore(platform.db)
    polls = PollService(
        db=platform.db,
        store=store,
        meetings=meetings_store,
        decisions=DecisionsStore(platform.db),
        runtime=platform.runtime_store,
        delivery=platform.delivery,
        people=core.people,
        directory=platform.directory,
        prefix=platform.prefix,
        timers=timers,
    )
    ballots = BallotBox(
        db=platform.db,
        store=store,
        polls=polls,
        people=core.people,
        directory=platform.directory,
        delivery=platform.delivery,
        chats=platform.chats,
    )
    # The Matrix side hands invites to direct chats to the ballot box.
    core.ballots = ballots
    return PollCommands(polls, ballots, platform.prefix)


def _mirror_commands(
    core: Core,
    platform: Platform,
    meetings: MeetingService,
    interpretation: InterpretationService,
) -> MirrorCommands:
    cache = SqliteTranslationCache(platform.db)
    translator, provider = build_translator(
        platform.config.translation, cache=cache, metrics=platform.metrics
    )
    store = MirrorStore(platform.db)
    mirror = MirrorService(
        db=platform.db,
        store=store,
        directory=platform.directory,
        people=core.people,
        delivery=platform.delivery,
        translator=translator,
        interpretation=interpretation,
        catalogs=platform.catalogs,
        tuning=replace(
            platform.tuning.mirror,
            parallel_translations=platform.config.translation.max_workers,
        ),
        may_mirror=platform.may_mirror,
        max_chars=platform.config.translation.max_message_chars,
        detector=LanguageDetector(
            [r.language for a in platform.directory.assemblies for r in a.rooms],
            command_prefix=platform.prefix,
        ),
    )
    # Beyond the group: delivery words quoted people through the mirror's translator, a paused
    # mirror resumes when the meeting ends, and the translator's upkeep is the bot's.
    platform.delivery.texts = mirror
    meetings.on_end.append(mirror.resume_after)
    core.closing += [provider.aclose, cache.flush]
    core.pruning += [
        ("finished mirror jobs", store.forget_finished_jobs_before),
        ("translation cache", lambda _cutoff: cache.keep_newest(TRANSLATION_CACHE_ENTRIES)),
    ]
    return MirrorCommands(mirror, platform.prefix)


def _reminders(platform: Platform, decisions: DecisionsStore, timers: Timers) -> Reminders:
    db = platform.db
    return Reminders(
        timers=timers,
        schedules=SchedulesStore(db),
        sent=RemindersStore(db),
        decisions=decisions,
        rooms=AssemblyRoomsStore(db),
        delivery=platform.delivery,
        directory=platform.directory,
        offsets={a.name: a.reminder_offsets for a in platform.config.assemblies},
        prefix=platform.prefix,
        metrics=platform.metrics,
    )


def _records_commands(
    core: Core,
    platform: Platform,
    decisions: DecisionsStore,
    meetings_store: MeetingsStore,
    reminders: Reminders,
) -> RecordsCommands:
    db = platform.db
    decision_log = DecisionLog(decisions, meetings_store, core.people, platform.prefix)
    # An action item with a due date gets its reminders.
    decision_log.on_action.append(reminders.watch_action)
    minutes = MinutesService(
        decisions=decisions,
        meetings=meetings_store,
        polls=PollsStore(db),
        mirror=MirrorStore(db),
        translations=SqliteTranslationCache(db),  # read only: the minutes never write to it
        rooms=AssemblyRoomsStore(db),
        people=PeopleStore(db),
        clock=now_ms,
    )
    return RecordsCommands(
        decision_log,
        minutes,
        platform.delivery,
        core.people.display_name,
        core.people.center_of,
        platform.prefix,
    )
