"""Exponential backoff between retries, waiting with asyncio so the loop keeps running."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass


@dataclass
class Backoff:
    initial: float = 1.0
    maximum: float = 60.0
    factor: float = 2.0
    _current: float = 0.0

    def next_delay(self, at_least: float = 0.0) -> float:
        self._current = (
            self.initial if not self._current else min(self._current * self.factor, self.maximum)
        )
        return max(self._current, at_least)

    def reset(self) -> None:
        self._current = 0.0

    async def wait(self, stop: asyncio.Event, at_least: float = 0.0) -> None:
        """Sleep for the next delay, waking early if `stop` is set."""
        delay = self.next_delay(at_least)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
