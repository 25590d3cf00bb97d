"""Live boards share one reading among all the screens of an assembly, read again only when the
database has changed (and not more than four times a second), and send only what differs."""

from __future__ import annotations

import asyncio
import contextlib

from bot.domain.assembly import Assembly, AssemblyRoom
from bot.web.live import LiveBoards

ASSEMBLY = Assembly("A", (AssemblyRoom("!en:t", "en", "US", "UTC"),))


class Database:
    """What the boards read: a count of ended transactions, and the board's state."""

    def __init__(self) -> None:
        self.transactions = 0
        self.board = b'{"item":"Budget"}'
        self.readings = 0

    async def state(self, assembly: Assembly) -> bytes:
        self.readings += 1
        return self.board


async def test_thirty_screens_cost_one_reading_and_unchanged_writes_send_nothing() -> None:
    db = Database()
    live = LiveBoards(db.state, lambda: db.transactions, lambda: 0, check_seconds=0.01)
    stop = asyncio.Event()
    running = asyncio.create_task(live.run(stop))
    async with contextlib.AsyncExitStack() as screens:
        channels = [await screens.enter_async_context(live.watch(ASSEMBLY)) for _ in range(30)]
        assert len({id(c) for c in channels}) == 1 and live.viewers == 30
        assert db.readings == 1 and channels[0].version == 1
        # The mirror writes, many times a second; nothing on the board changes.
        for _ in range(50):
            db.transactions += 1
            await asyncio.sleep(0.01)
        assert 2 <= db.readings <= 5  # at most four readings a second
        assert channels[0].version == 1  # and nothing new to send
        # A hand is raised: every screen is woken with the new board.
        pulse = channels[0].pulse
        db.board, db.transactions = b'{"item":"Budget","waiting":["Alice"]}', db.transactions + 1
        await asyncio.wait_for(live.wait(channels[0], pulse, timeout=5), 1)
        assert channels[0].version == 2 and channels[0].state == db.board
    assert live.viewers == 0
    stop.set()
    await running
    assert live.closed


async def test_a_changed_link_wakes_every_screen_to_check_it() -> None:
    db, links = Database(), [0]
    live = LiveBoards(db.state, lambda: db.transactions, lambda: links[0], check_seconds=0.01)
    stop = asyncio.Event()
    running = asyncio.create_task(live.run(stop))
    await asyncio.sleep(0.05)  # the boards are running
    async with live.watch(ASSEMBLY) as channel:
        pulse = channel.pulse
        links[0] += 1
        await asyncio.wait_for(live.wait(channel, pulse, timeout=5), 1)
        assert channel.pulse > pulse and channel.version == 1
    stop.set()
    await running
