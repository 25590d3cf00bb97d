"""Interpreters: corrections of the machine, the translation memory, the chat glossary."""

from __future__ import annotations

from bot.features.shared import Shared
from bot.framework.feature import Feature
from bot.storage.interpretation_store import InterpretationStore
from commands.interpretation import InterpretationCommands


def interpretation_feature(shared: Shared) -> Feature:
    platform, interpretation = shared.platform, shared.interpretation

    async def load() -> None:
        await interpretation.load(platform.directory.assemblies)

    return Feature(
        name="interpretation",
        commands=(
            InterpretationCommands(interpretation, shared.mirror, shared.people, platform.prefix),
        ),
        tables=("translation_memory", "memory_proposals", "glossary_terms", "interpreters"),
        restore=(load,),
        pruning=(
            (
                "unconfirmed memory corrections",
                InterpretationStore(platform.db).forget_proposals_before,
            ),
        ),
    )
