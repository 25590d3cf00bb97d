"""Meetings and their agenda: opening and closing, chairs, attendance, items and timeboxes."""

from __future__ import annotations

from bot.features.shared import Shared
from bot.framework.feature import Feature
from bot.services.agenda import AgendaService
from commands.agenda import AgendaCommands
from commands.meetings import MeetingCommands


def meetings_feature(shared: Shared) -> Feature:
    meetings, people = shared.meetings, shared.people
    agenda = AgendaService(shared.meetings_store, meetings, shared.notices)
    return Feature(
        name="meetings",
        commands=(MeetingCommands(meetings, people), AgendaCommands(agenda, meetings, people)),
        tables=("meetings", "meeting_chairs", "attendance", "agenda_items"),
        # Whoever speaks in a meeting is marked present.
        speech=(meetings.note_speaker,),
        # Agenda timeboxes and turn limits come back from the database.
        restore=(shared.notices.restore,),
    )
