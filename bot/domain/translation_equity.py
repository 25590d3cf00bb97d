"""Equity in the minutes: did each center's words reach the other room, in its language, in time?

Per direction of translation (EN→ES, ES→EN) the minutes count the copies, and how many of them
a machine translated, an interpreter corrected, the translation memory served, or nobody
translated; per center, the share of its words that reached every other room in that room's
language while the meeting went on. Plain values, no I/O.

A copy into a room of another language that shows the words as they were written (translation
provider `none`, or a provider that gave them back unchanged) was not translated: it counts as
untranslated, and its words did not reach that room in its language. Only words already written
in a room's language reach it as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.interpretation import Origin

MACHINE, INTERPRETED, MEMORY, UNTRANSLATED = "machine", "interpreted", "memory", "untranslated"
_OUTCOME_OF = {
    Origin.MACHINE: MACHINE,
    Origin.INTERPRETER: INTERPRETED,
    Origin.MEMORY: MEMORY,
    Origin.PENDING: UNTRANSLATED,
    # Shown as written in a room of another language: nobody translated it.
    Origin.AS_WRITTEN: UNTRANSLATED,
}


@dataclass(frozen=True)
class CopyOutcome:
    """One message's copy into one room, as the minutes count it."""

    source_event_id: str
    center: str  # the speaker's
    source_language: str
    target_language: str
    # None for a copy made before origins were kept: `translated` then tells.
    origin: Origin | None
    translated: bool
    settled_in_time: bool
    word_count: int
    # A copy into the room the message was said in (a translation for the people there).
    companion: bool = False

    @property
    def outcome(self) -> str:
        if self.origin is None:
            return MACHINE if self.translated else UNTRANSLATED
        return _OUTCOME_OF.get(self.origin, UNTRANSLATED)

    @property
    def already_in_language(self) -> bool:
        """Written in the target room's language: nothing to translate."""
        return self.source_language == self.target_language

    @property
    def reached(self) -> bool:
        """Read in the target room's language while the meeting went on."""
        if self.already_in_language:
            return True
        return self.outcome != UNTRANSLATED and (self.settled_in_time or self.origin is None)


@dataclass(frozen=True)
class DirectionCounts:
    source: str
    target: str
    messages: int
    machine: int
    interpreted: int
    memory: int
    untranslated: int


@dataclass(frozen=True)
class CenterReach:
    center: str
    words: int
    reached_words: int

    @property
    def share(self) -> float | None:
        return self.reached_words / self.words if self.words else None


@dataclass(frozen=True)
class TranslationEquity:
    directions: tuple[DirectionCounts, ...]
    centers: tuple[CenterReach, ...]

    @property
    def nothing_translated(self) -> bool:
        """Words were copied across languages, and not one copy was translated."""
        copied = sum(d.messages for d in self.directions)
        translated = sum(d.machine + d.interpreted + d.memory for d in self.directions)
        return copied > 0 and translated == 0


def translation_equity(
    copies: Iterable[CopyOutcome], centers: Sequence[str], languages: Sequence[str]
) -> TranslationEquity:
    found = list(copies)
    return TranslationEquity(_directions(found, languages), _reach(found, centers))


def _directions(copies: list[CopyOutcome], languages: Sequence[str]) -> tuple[DirectionCounts, ...]:
    """Every pair of the assembly's languages, in both directions, also one nobody used."""
    pairs = [(s, t) for s in languages for t in languages if s != t]
    pairs += [
        (c.source_language, c.target_language)
        for c in copies
        if c.source_language != c.target_language
        and (c.source_language, c.target_language) not in pairs
    ]
    counted = []
    for source, target in dict.fromkeys(pairs):
        outcomes = [
            c.outcome for c in copies if (c.source_language, c.target_language) == (source, target)
        ]
        counted.append(
            DirectionCounts(
                source,
                target,
                messages=len(outcomes),
                machine=outcomes.count(MACHINE),
                interpreted=outcomes.count(INTERPRETED),
                memory=outcomes.count(MEMORY),
                untranslated=outcomes.count(UNTRANSLATED),
            )
        )
    return tuple(counted)


def _reach(copies: list[CopyOutcome], centers: Sequence[str]) -> tuple[CenterReach, ...]:
    """A message reached the other rooms when every copy into them did."""
    messages: dict[str, tuple[str, int, bool]] = {}
    for copy in copies:
        if copy.companion:
            continue
        center, words, reached = messages.get(
            copy.source_event_id, (copy.center, copy.word_count, True)
        )
        messages[copy.source_event_id] = (center, words, reached and copy.reached)
    all_centers = list(dict.fromkeys([*centers, *(center for center, _, _ in messages.values())]))
    return tuple(
        CenterReach(
            center,
            words=sum(w for c, w, _ in messages.values() if c == center),
            reached_words=sum(w for c, w, ok in messages.values() if c == center and ok),
        )
        for center in all_centers
    )
