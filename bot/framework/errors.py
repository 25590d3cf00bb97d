"""Three kinds of failure: the person's mistake, the person's lack of rights, and our bugs.

The first two are answered in the room's language and change nothing; anything else is a bug,
logged with a reference the people can quote.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import aiohttp

from bot.i18n import Msg


class CommandError(Exception):
    """Bad input or a request that cannot be met now; `message` tells the person why."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.message = Msg.of(key, **values)


class UsageError(CommandError):
    """The arguments do not fit the command's declaration; the reply shows its usage."""


class PermissionDenied(CommandError):
    """Only chairs (or members) may do this."""


def is_transient(error: BaseException) -> bool:
    """A failure that a later try may not meet: a busy database, the network."""
    if isinstance(error, sqlite3.OperationalError):
        return any(word in str(error).lower() for word in ("locked", "busy", "disk i/o"))
    return isinstance(error, aiohttp.ClientError | OSError | TimeoutError)
