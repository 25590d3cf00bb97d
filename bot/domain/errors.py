"""The person's mistakes and missing rights, as values every layer may raise.

They live at the bottom so that the domain (reading a ballot, say) can refuse bad input without
reaching up to the command framework, which answers them in the room's language.
"""

from __future__ import annotations

from typing import Any

from bot.domain.messages import Msg


class CommandError(Exception):
    """Bad input or a request that cannot be met now; `message` tells the person why."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.message = Msg.of(key, **values)


class UsageError(CommandError):
    """The arguments do not fit the command's declaration; the reply shows its usage."""


class PermissionDenied(CommandError):
    """Only chairs (or members) may do this."""


class NeedsRole(CommandError):
    """Part of a command needs a role its sender lacks (`!glossary add` needs an interpreter or
    a chair, while `!glossary` itself is for everyone): refused like a command needing it."""

    def __init__(self, role: str) -> None:
        super().__init__(f"error.needs.{role}")
        self.role = role


class NoMeeting(CommandError):
    """A command needs an open meeting (the minutes: any meeting held) and there is none.
    Who may open one is told how (`to_opener`); anyone else is told who may, and what they can
    do meanwhile (`to_others`): the router words it for its sender."""

    def __init__(self, *, ever: bool = False) -> None:
        # `ever`: no meeting has been held at all, not only none is open now.
        self.to_opener = "minutes.no_meeting" if ever else "meeting.none_open"
        self.to_others = f"{self.to_opener}_others"
        super().__init__(self.to_opener)
