"""What every feature is built from: the shared platform the Matrix side hands over (the
database, delivery, who sits where, the directory of assemblies, timers' scheduler, the clock),
and the configuration read into assemblies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import AssemblyConfig, Config
from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyDirectory, AssemblyRoom
from bot.domain.fair_use import Budget, FairUse
from bot.domain.membership import Membership
from bot.domain.text_protection import Glossary
from bot.i18n import Catalogs
from bot.matrix.direct import DirectChats
from bot.matrix.encryption import RetryTiming
from bot.observability.metrics import Metrics
from bot.services.mirror import MirrorTuning
from bot.services.timers import utc_now
from bot.services.translation import ProviderTranslator, build_translator
from bot.services.translation_gateway import TranslationGateway
from bot.storage.database import Database
from bot.storage.mirror_store import SqliteTranslationCache
from bot.storage.runtime_store import RuntimeStore


@dataclass(frozen=True)
class Tuning:
    """Knobs the tests turn down so that waits are short; production uses the defaults."""

    sync_timeout_ms: int = 30_000
    backoff_initial: float = 1.0
    backoff_maximum: float = 60.0
    mirror: MirrorTuning = field(default_factory=MirrorTuning)
    crypto: RetryTiming = field(default_factory=RetryTiming)


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
                board_public=settings.board_public,
            )
        )
    return tuple(assemblies)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The translation cache keeps this many of its newest entries (pruned hourly).
TRANSLATION_CACHE_ENTRIES = 20_000


@dataclass(frozen=True)
class Translation:
    """The translator everyone reaches through one gateway, with the cache and the provider
    it keeps (flushed and closed when the bot stops)."""

    gateway: TranslationGateway
    provider: ProviderTranslator
    cache: SqliteTranslationCache


def translation_of(
    config: Config, db: Database, tuning: Tuning, metrics: Metrics | None = None
) -> Translation:
    cache = SqliteTranslationCache(db)
    translator, provider = build_translator(config.translation, cache=cache, metrics=metrics)
    gateway = TranslationGateway(
        translator,
        cooldown_seconds=tuning.mirror.cooldown_seconds,
        quick_budget=tuning.mirror.quick_budget_seconds,
    )
    return Translation(gateway, provider, cache)


@dataclass(frozen=True)
class Platform:
    """What the Matrix side hands to the assembly's logic."""

    config: Config
    tuning: Tuning
    catalogs: Catalogs
    db: Database
    runtime_store: RuntimeStore
    delivery: Delivery  # built with `translation.gateway` for the people's words it quotes
    translation: Translation
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


