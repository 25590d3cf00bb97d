"""The assembly's logic built from the platform: the shared pieces, then every feature, each
installed by one call. The list below is the bot's whole set of capabilities, in the order
`!help` lists their commands."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.delivery import Delivery
from bot.features.board import board_feature
from bot.features.commitments import commitments_feature
from bot.features.general import general_feature
from bot.features.interpretation import interpretation_feature
from bot.features.meetings import meetings_feature
from bot.features.mirror import mirror_feature
from bot.features.platform import TRANSLATION_CACHE_ENTRIES, Platform
from bot.features.polls import polls_feature
from bot.features.records import records_feature
from bot.features.schedule import schedule_feature
from bot.features.shared import Shared, build_shared
from bot.features.stack import stack_feature
from bot.framework.dispatcher import Dispatcher
from bot.framework.feature import (
    DirectChatKeeper,
    Feature,
    Loop,
    PruningStep,
    Step,
)
from bot.framework.router import Router
from bot.services.authority import AuthorityService
from bot.services.people import People
from bot.storage.meetings_store import MeetingsStore
from bot.storage.mirror_store import MirrorStore
from bot.storage.polls_store import PollsStore
from bot.storage.runtime_store import OutboxReferences

# Every capability, built in this order from the shared pieces. (`general`, whose `!status`
# reads every other feature's lines, is built after them and listed first in `!help`.)
FEATURES: tuple[Callable[[Shared], Feature], ...] = (
    meetings_feature,
    stack_feature,
    polls_feature,
    mirror_feature,
    interpretation_feature,
    records_feature,
    commitments_feature,
    schedule_feature,
    board_feature,
)


@dataclass(frozen=True)
class Core:
    """The router and dispatcher with every feature installed, and what the running bot does
    with the features' declarations (start-up steps, loops, pruning, closing)."""

    router: Router
    dispatcher: Dispatcher
    people: People
    authority: AuthorityService
    delivery: Delivery
    features: tuple[Feature, ...]

    @property
    def restore(self) -> list[Step]:
        return [step for feature in self.features for step in feature.restore]

    @property
    def background(self) -> list[Loop]:
        return [loop for feature in self.features for loop in feature.background]

    @property
    def pruning(self) -> list[tuple[str, PruningStep]]:
        return [step for feature in self.features for step in feature.pruning]

    @property
    def direct_chats(self) -> DirectChatKeeper | None:
        keepers = [f.private.keeper for f in self.features if f.private and f.private.keeper]
        return keepers[0] if keepers else None

    async def close(self) -> None:
        for feature in self.features:
            for step in feature.closing:
                await step()


def build_core(
    platform: Platform, features: Sequence[Callable[[Shared], Feature]] = FEATURES
) -> Core:
    shared = build_shared(platform)
    built = [build(shared) for build in features]
    built.insert(0, _platform_feature(platform))
    general = general_feature(shared, [s for feature in built for s in feature.status])
    features = (general, *built)
    for feature in features:
        install(shared, feature)
    return Core(
        shared.router,
        shared.dispatcher,
        shared.people,
        shared.authority,
        platform.delivery,
        features,
    )


def install(shared: Shared, feature: Feature) -> None:
    """A feature's command groups go to the router, its intakes to the dispatcher."""
    for group in feature.commands:
        shared.router.add_group(group)
    for intake, service in feature.intakes:
        shared.dispatcher.take(intake, service)
    if feature.private is not None:
        shared.dispatcher.serve_private(feature.private.room)
        for intake, service in feature.private.intakes:
            shared.dispatcher.take(intake, service, private=True)
    for observer in feature.speech:
        shared.dispatcher.add_speech_observer(observer)


def _platform_feature(platform: Platform) -> Feature:
    """The platform's own upkeep: messages waiting or set aside shown in `!status`, old sent
    messages and translations pruned, the translator closed at the end."""
    db, store, translation = platform.db, platform.runtime_store, platform.translation
    # Old sent messages go, except those a stack message, a poll start or a mirrored copy
    # still points at: each of those stores says which it needs.
    references: Sequence[OutboxReferences] = (MeetingsStore(db), PollsStore(db), MirrorStore(db))

    async def forget_sent(cutoff: int) -> int:
        return await store.forget_sent_before(cutoff, references)

    async def keep_cache(_cutoff: int) -> int:
        return await translation.cache.keep_newest(TRANSLATION_CACHE_ENTRIES)

    return Feature(
        name="platform",
        tables=(
            "kv",
            "handled_events",
            "room_joins",
            "outbox",
            "uploads",
            "translation_cache",
        ),
        status=(platform.delivery.status,),
        pruning=(("sent messages", forget_sent), ("translation cache", keep_cache)),
        closing=(translation.provider.aclose, translation.cache.flush),
    )
