"""What handling a command or an event comes to: messages to send, worded later per room.

Services and command handlers return these; delivery turns them into queued messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.i18n import Msg


@dataclass(frozen=True)
class Reply:
    """Answer in the room the command came from, as a reply to it.

    `refused` marks the answer to a command that was not carried out (bad input, no right to
    it, a bug): such a command has changed nothing.
    """

    lines: tuple[Msg, ...]
    refused: bool = False


@dataclass(frozen=True)
class Announce:
    """Tell every room of the assembly, each in its own language.

    `mention` names people to ping; each is pinged only in the room of their center.
    """

    lines: tuple[Msg, ...]
    mention: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class React:
    """Acknowledge the command with a reaction on it."""

    key: str


Outcome = Reply | Announce | React


def reply(*lines: Msg) -> Reply:
    return Reply(tuple(lines))


def refusal(*lines: Msg) -> Reply:
    return Reply(tuple(lines), refused=True)


def announce(*lines: Msg, mention: tuple[str, ...] = ()) -> Announce:
    return Announce(tuple(lines), mention)
