"""A feature is one declared thing: what a capability of the bot (meetings, the stack, polls and
ballots, the mirror, …) brings to the running bot, named in one place.

Each module in `bot/features/` builds one `Feature` from the shared platform: its stores and
services, its command groups, the intakes it takes events from, its lines in `!status`, the
steps run at start-up, the loops run beside the sync loop, and what the hourly pruning keeps
small. `bot/features/core.py` installs the list; nothing is set on an object after it is built.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.domain.assembly import Assembly, PrivateRoom
from bot.domain.events import IncomingEvent
from bot.domain.messages import Msg
from bot.framework.intakes import Intake

# A service for events that are not commands; runs inside the handling transaction.
EventService = Callable[[IncomingEvent], Awaitable[None]]
# Told who spoke, where (for attendance).
SpeechObserver = Callable[[Assembly, str, str], Awaitable[None]]
# A feature's lines in `!status` (for example whether mirroring is paused).
StatusSection = Callable[[Assembly], Awaitable[list[Msg]]]
Step = Callable[[], Awaitable[None]]
Loop = Callable[[asyncio.Event], Awaitable[None]]
# One pruning step: given the cutoff (epoch ms), forget what is older; returns how many rows.
PruningStep = Callable[[int], Awaitable[int]]


class DirectChatKeeper(Protocol):
    """Who may invite the bot to a direct chat, and what follows when it has joined."""

    def may_join(self, room_id: str, inviter: str) -> bool: ...
    async def joined(self, room_id: str, inviter: str) -> None: ...


@dataclass(frozen=True)
class PrivateChats:
    """A feature's direct chats with people: how to tell one, and what is taken there."""

    room: Callable[[str], PrivateRoom | None]
    intakes: tuple[tuple[Intake, EventService], ...] = ()
    keeper: DirectChatKeeper | None = None


@dataclass(frozen=True)
class Feature:
    name: str
    # Command groups, in the order `!help` lists them.
    commands: tuple[object, ...] = ()
    # The tables its stores own (a test checks every table belongs to one feature).
    tables: tuple[str, ...] = ()
    intakes: tuple[tuple[Intake, EventService], ...] = ()
    private: PrivateChats | None = None
    # Told of every message a person sends in an assembly room, command or not.
    speech: tuple[SpeechObserver, ...] = ()
    status: tuple[StatusSection, ...] = ()
    # Run after login and before serving: timers are rebuilt from the database here.
    restore: tuple[Step, ...] = ()
    background: tuple[Loop, ...] = ()
    pruning: tuple[tuple[str, PruningStep], ...] = ()
    closing: tuple[Step, ...] = ()
