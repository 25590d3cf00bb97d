"""What handling a command or an event comes to: messages to send, worded later per room.

Services and command handlers return these; delivery turns them into queued messages. Which
Matrix msgtype each message the bot sends carries is decided here too, by one rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never

from bot.domain.messages import Msg


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

    `mention` names people to ping; each is pinged only in the room where they sit. `alert`
    marks news everyone must get, with no one named (a scheduled meeting's reminders).
    """

    lines: tuple[Msg, ...]
    mention: tuple[str, ...] = field(default=())
    alert: bool = False


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


# -- msgtypes: one rule for every message the bot sends (README, "Notices and messages") --------
# Under Matrix's default push rules a notice never notifies anyone, while a text counts as a
# message to be notified of (and one with `m.mentions` pings exactly the people it names).

NOTICE = "m.notice"
TEXT = "m.text"
EMOTE = "m.emote"
# The msgtypes of people's words: a copy keeps each as it is.
TEXT_MSGTYPES = (TEXT, NOTICE, EMOTE)


def msgtype_of(outcome: Outcome, *, pings_here: bool = False) -> str | None:
    """The msgtype of the message `outcome` sends to one room (None for a reaction).

    The bot's own words are notices: answers, refusals, announcements, the stack, results. A
    text only where someone must be notified: in the room where an announcement pings someone
    (`pings_here`: a person it mentions sits there, such as the person given the floor, or an
    action item's owner on its due date), and in every room for an alert (a scheduled
    meeting's reminders).
    """
    match outcome:
        case React():
            return None
        case Reply():
            return NOTICE
        case Announce():
            return TEXT if outcome.alert or (outcome.mention and pings_here) else NOTICE
        case _:
            assert_never(outcome)


def copy_msgtype(original: object) -> str:
    """A mirrored copy keeps its original's msgtype: a person's text stays a text (and
    notifies as the original did), a notice a notice, an emote an emote. (Media keep theirs
    too: the copy is the same file.)"""
    return original if isinstance(original, str) and original in TEXT_MSGTYPES else TEXT
