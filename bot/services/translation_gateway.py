"""The one way to the translator for everyone: the mirror's copies and the bot's own messages
that quote people's words (agenda titles, poll options), which delivery words without knowing
the mirror. A translator that failed is left alone for a while (the breaker), for everyone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from bot.services.translation import GlossaryTranslator, TranslationError


class TranslationBreaker:
    """Stops asking a failing translator for a while, so a hung provider delays nobody."""

    def __init__(self, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._cooldown = cooldown
        self._clock = clock
        self._open_until = 0.0

    @property
    def is_open(self) -> bool:
        return self._clock() < self._open_until

    def trip(self) -> None:
        self._open_until = self._clock() + self._cooldown

    def reset(self) -> None:
        self._open_until = 0.0


class TranslationGateway:
    def __init__(
        self, translator: GlossaryTranslator, *, cooldown_seconds: float, quick_budget: float
    ) -> None:
        self.translator = translator
        self.breaker = TranslationBreaker(cooldown_seconds)
        # The most a reply may wait for the translation of a title it quotes.
        self._quick_budget = quick_budget

    async def translate_quickly(self, text: str, source: str, target: str) -> str | None:
        """A translation within a short budget, or None, so a slow translator never delays a
        reply."""
        if source == target or self.breaker.is_open:
            return None
        try:
            return await asyncio.wait_for(
                self.translator.translate(text, source, target), self._quick_budget
            )
        except (TranslationError, TimeoutError):
            self.breaker.trip()
            return None

    async def translate_lines_quickly(
        self, lines: Sequence[str], source: str, target: str
    ) -> list[str | None]:
        """Several short texts (a poll's question and options) in one provider call, within the
        quick budget: a twenty-option poll waits for one translation, not twenty."""
        nothing: list[str | None] = [None] * len(lines)
        if source == target or self.breaker.is_open or not lines:
            return nothing
        flat = [" ".join(line.split()) for line in lines]  # one line each, whatever was typed
        try:
            joined = await asyncio.wait_for(
                self.translator.translate("\n".join(flat), source, target), self._quick_budget
            )
        except (TranslationError, TimeoutError):
            self.breaker.trip()
            return nothing
        parts = joined.split("\n")
        if len(parts) == len(flat):
            return [part.strip() or None for part in parts]
        # The provider did not keep the lines apart: each on its own, all at once.
        return list(
            await asyncio.gather(*(self.translate_quickly(line, source, target) for line in flat))
        )
