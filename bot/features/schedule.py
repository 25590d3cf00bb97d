"""Scheduled meetings and the reminders of meetings and action items, in both zones."""

from __future__ import annotations

from bot.features.shared import Shared
from bot.framework.feature import Feature
from commands.schedule import ScheduleCommands


def schedule_feature(shared: Shared) -> Feature:
    platform, reminders = shared.platform, shared.reminders
    return Feature(
        name="schedule",
        commands=(ScheduleCommands(reminders, platform.delivery, platform.prefix),),
        tables=("schedules", "sent_reminders", "assembly_rooms"),
        restore=(reminders.restore,),
    )
