"""Where an event that is not a command goes: every such event has one named intake, and each
intake is taken by the one feature that declares it (`bot/framework/feature.py`). Which feature
gets an event is read here, never from the order features are installed in.
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain.events import (
    MESSAGE,
    POLL_RESPONSE_TYPES,
    REACTION,
    REDACTION,
    STICKER,
    IncomingEvent,
)
from bot.domain.mirror import MEDIA_MSGTYPES
from bot.domain.outcomes import TEXT_MSGTYPES

SPOKEN_MSGTYPES = TEXT_MSGTYPES + MEDIA_MSGTYPES


class Intake(StrEnum):
    # What people say in a room: messages, media, stickers, and their edits and deletions.
    SPEECH = "speech"
    # A reaction to a message (✋ on the stack raises a hand).
    REACTION = "reaction"
    # An answer to a native poll.
    POLL_RESPONSE = "poll response"


def intake_of(event: IncomingEvent) -> Intake | None:
    """The intake an event goes to, or None for one nobody takes (state, receipts, …)."""
    if event.type in POLL_RESPONSE_TYPES:
        return (
            Intake.POLL_RESPONSE
            if event.rel_type == "m.reference" and event.relates_to is not None
            else None
        )
    if event.type == REACTION:
        return Intake.REACTION
    if event.type == REDACTION:
        return Intake.SPEECH if event.redacts is not None else None
    if event.type == STICKER:
        return Intake.SPEECH
    if event.type == MESSAGE and (event.msgtype in SPOKEN_MSGTYPES or event.is_edit):
        return Intake.SPEECH
    return None
