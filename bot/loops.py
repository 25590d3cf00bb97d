"""The running bot: its loops (the sync loop, the sender, each feature's own) side by side
until `stop`, with the timers' scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

Loop = Callable[[asyncio.Event], Awaitable[None]]


async def run_loops(
    stop: asyncio.Event,
    loops: list[Loop],
    scheduler: Any,
    when_ready: Coroutine[Any, Any, None],
) -> None:
    """Run every loop until `stop` is set or one of them fails (its error is raised here)."""
    scheduler.start()
    tasks = [asyncio.create_task(loop(stop)) for loop in loops]
    ready = asyncio.create_task(when_ready)
    stopping = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait([*tasks, stopping], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # re-raise a fatal error from any loop
    finally:
        stop.set()
        # A long-poll sync would hold shutdown for its whole timeout; whatever is cut off here
        # is still pending in the database and the outbox, and is finished after a restart.
        for task in (*tasks, ready, stopping):
            task.cancel()
        await asyncio.gather(*tasks, ready, stopping, return_exceptions=True)
        scheduler.shutdown(wait=False)
