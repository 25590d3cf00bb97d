"""Mirroring: every message reaches the assembly's other rooms, translated and attributed."""

from __future__ import annotations

from bot.features.shared import Shared
from bot.framework.feature import Feature
from bot.framework.intakes import Intake
from bot.storage.mirror_store import MirrorStore
from commands.mirror import MirrorCommands


def mirror_feature(shared: Shared) -> Feature:
    platform, mirror = shared.platform, shared.mirror
    commands = MirrorCommands(shared.mirror_intake, platform.prefix)
    return Feature(
        name="mirror",
        commands=(commands,),
        tables=("mirror_jobs", "mirrors", "mirroring_paused"),
        intakes=((Intake.SPEECH, shared.mirror_intake.accept),),
        status=(commands.status,),
        background=(mirror.run,),
        pruning=(
            ("finished mirror jobs", MirrorStore(platform.db).forget_finished_jobs_before),
        ),
    )
