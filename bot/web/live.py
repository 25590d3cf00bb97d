"""Live boards: one state per assembly that someone is watching, shared by all its viewers.

Nobody has to tell the boards that something changed. Every change to a meeting is a database
transaction (a command, a vote, a timer, a translation arriving), and the database counts the
transactions that end; several times a second, each watched board whose count moved is read
again. The new state goes out only if it differs from the last one, to every viewer at once:
thirty screens on one assembly cost one reading, and a burst of mirrored messages, which
changes nothing on the board, costs readings but sends nothing. An assembly nobody watches is
never read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from bot.domain.assembly import Assembly

log = logging.getLogger(__name__)

# How often a watched board checks for a change: a change is on every screen well within a second.
CHECK_SECONDS = 0.1
# The least time between two readings of one board: while the mirror writes many times a second
# (which changes nothing on the board), the board is read four times a second, not at every write.
MIN_GAP_SECONDS = 0.25
# A watched board is read again this often even when nothing was written (people's names come
# from the homeserver, not from the database).
REFRESH_SECONDS = 10.0

State = Callable[[Assembly], Awaitable[bytes]]


@dataclass(eq=False)
class Channel:
    """One assembly's board as its viewers share it."""

    assembly: Assembly
    state: bytes | None = None  # the board's state as JSON, the same bytes for every viewer
    version: int = 0  # counts each new state
    pulse: int = 0  # counts every wake-up: a new state, a changed link, the end
    read_at_change: int = -1  # the database's count of transactions when last read
    read_at: float = 0.0
    viewers: int = 0
    woken: asyncio.Condition = field(default_factory=asyncio.Condition)

    def join(self) -> None:
        self.viewers += 1

    def leave(self) -> bool:
        """True when the last viewer has left."""
        self.viewers -= 1
        return self.viewers == 0

    def read(self, state: bytes | None, changes: int) -> bool:
        """Keep what was read; True when it is new."""
        self.read_at_change, self.read_at = changes, time.monotonic()
        if state is None or state == self.state:
            return False
        self.state = state
        self.version += 1
        return True

    async def wake(self) -> None:
        async with self.woken:
            self.pulse += 1
            self.woken.notify_all()


class LiveBoards:
    def __init__(
        self,
        state: State,
        changes: Callable[[], int],
        links: Callable[[], int],
        *,
        check_seconds: float = CHECK_SECONDS,
        min_gap_seconds: float = MIN_GAP_SECONDS,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        """`state` reads and words an assembly's board; `changes` counts the database's
        transactions; `links` counts changes of the boards' links."""
        self._state = state
        self._changes = changes
        self._links = links
        self._check = check_seconds
        self._gap = min_gap_seconds
        self._refresh = refresh_seconds
        self._channels: dict[str, Channel] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def viewers(self) -> int:
        return sum(channel.viewers for channel in self._channels.values())

    @contextlib.asynccontextmanager
    async def watch(self, assembly: Assembly) -> AsyncIterator[Channel]:
        """A viewer's place on the assembly's channel, with its state read at least once."""
        channel = self._channels.get(assembly.name)
        if channel is None:
            channel = self._channels[assembly.name] = Channel(assembly)
        channel.join()
        try:
            if channel.state is None:
                await self._read(channel)
            yield channel
        finally:
            if channel.leave() and self._channels.get(assembly.name) is channel:
                del self._channels[assembly.name]

    async def wait(self, channel: Channel, pulse: int, timeout: float) -> None:
        """Until the channel's pulse moves past `pulse`, the boards close, or `timeout`."""
        async with channel.woken:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    channel.woken.wait_for(lambda: channel.pulse != pulse or self._closed),
                    timeout,
                )

    async def run(self, stop: asyncio.Event) -> None:
        """Keep every watched board up to date until `stop`; then let every viewer go."""
        links = self._links()
        try:
            while not stop.is_set():
                if self._links() != links:
                    links = self._links()
                    for channel in list(self._channels.values()):
                        await channel.wake()
                for channel in list(self._channels.values()):
                    if self._due(channel):
                        await self._read(channel)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._check)
        finally:
            await self.close()

    async def close(self) -> None:
        self._closed = True
        for channel in list(self._channels.values()):
            await channel.wake()

    def _due(self, channel: Channel) -> bool:
        since = time.monotonic() - channel.read_at
        changed = channel.read_at_change != self._changes()
        return (changed and since >= self._gap) or since >= self._refresh

    async def _read(self, channel: Channel) -> None:
        # Counted before reading: a transaction that ends while this reads is read next time.
        changes = self._changes()
        try:
            state = await self._state(channel.assembly)
        except Exception:
            log.exception("reading the board of %s failed", channel.assembly.name)
            state = channel.state  # the screens keep what they show; tried again later
        if channel.read(state, changes):
            await channel.wake()
