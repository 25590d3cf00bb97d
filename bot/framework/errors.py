"""Three kinds of failure: the person's mistake, the person's lack of rights, and our bugs.

The first two are answered in the room's language and change nothing; anything else is a bug,
logged with a reference the people can quote. The first two are values of the domain
(`bot.domain.errors`), so every layer can raise them; they are named here for the handlers.
"""

from __future__ import annotations

import sqlite3

import aiohttp

from bot.domain.errors import CommandError, NeedsRole, NoMeeting, PermissionDenied, UsageError

__all__ = [
    "CommandError",
    "NeedsRole",
    "NoMeeting",
    "PermissionDenied",
    "UsageError",
    "is_transient",
]


def is_transient(error: BaseException) -> bool:
    """A failure that a later try may not meet: a busy database, the network."""
    if isinstance(error, sqlite3.OperationalError):
        return any(word in str(error).lower() for word in ("locked", "busy", "disk i/o"))
    return isinstance(error, aiohttp.ClientError | OSError | TimeoutError)
