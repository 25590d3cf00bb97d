"""What every assembly has whatever it does: help, status, and the words for both."""

from __future__ import annotations

from collections.abc import Sequence

from bot.features.shared import Shared
from bot.framework.feature import Feature, StatusSection
from commands.general import GeneralCommands


def general_feature(shared: Shared, status_sections: Sequence[StatusSection]) -> Feature:
    """`!status` reads the lines of every feature given."""
    platform = shared.platform
    general = GeneralCommands(
        shared.router,
        platform.prefix,
        tuple(status_sections),
        room_name=platform.members.room_name,
    )
    return Feature(name="general", commands=(general,))
