"""What a handler receives (the command's context) and what it returns (outcomes to send)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.authority import Authority
from bot.i18n import Msg


@dataclass(frozen=True)
class CommandContext:
    event_id: str
    sender: str
    sender_name: str
    ts: int
    room: AssemblyRoom
    assembly: Assembly
    invoked_as: str
    authority: Authority
    # Sent in the sender's direct chat with the bot; `room` is then that chat, worded and
    # counted like the sender's own assembly room.
    private: bool = False

    @property
    def language(self) -> str:
        return self.room.language

    @property
    def is_chair(self) -> bool:
        return self.authority.is_chair


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
