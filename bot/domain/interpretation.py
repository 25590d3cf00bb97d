"""Language justice: people write in the language they think in, interpreters outrank the machine.

Values and plain rules only: where a copy's words came from, how a sentence is recognised in the
translation memory, and how the chat's glossary terms join the configuration's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.text_protection import Glossary, GlossaryUse, protect


class Origin(StrEnum):
    """Where the words of a copy came from, as its label tells the reader."""

    # Written by the speaker in the copy's own language: shown as written.
    AS_WRITTEN = "as_written"
    MACHINE = "machine"
    # A sentence an interpreter corrected before, taken from the translation memory.
    MEMORY = "memory"
    # Corrected on this very copy by an interpreter (`!fix`).
    INTERPRETER = "interpreter"
    # The translator failed or was too slow: the original words, until it answers.
    PENDING = "pending"


HUMAN_ORIGINS = frozenset({Origin.MEMORY, Origin.INTERPRETER})

_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)


def memory_key(text: str) -> str:
    """The form under which a sentence is remembered: case, spacing and punctuation do not
    matter ("We eat at noon." and "we eat  at noon" are one sentence); accents do."""
    folded = unicodedata.normalize("NFC", text).casefold()
    return " ".join(_PUNCTUATION.sub(" ", folded).split())


# A sentence this short ("sí", "ok", "no way") is said by everyone, meaning different things at
# different moments: one interpreter's correction of it would silently rewrite what everyone
# says later. The memory learns it only once a second interpreter corrects it the same way.
MIN_WORDS_ALONE = 3


def needs_confirmation(original: str) -> bool:
    """Whether one interpreter's correction of `original` waits for a second interpreter."""
    return len(memory_key(original).split()) < MIN_WORDS_ALONE


class Learning(StrEnum):
    """What the translation memory did with a correction."""

    # A sentence long enough: reused from now on.
    LEARNED = "learned"
    # A short sentence: it applies to the corrected copy only, until a second interpreter
    # corrects the same sentence the same way.
    AWAITS_SECOND = "awaits_second"
    # The second interpreter's correction agreed with another's: reused from now on.
    CONFIRMED = "confirmed"
    # Nothing to remember (no words, only punctuation).
    NOTHING = "nothing"


@dataclass(frozen=True)
class Correction:
    """What an interpreter's correction of one copy came to: the sentence it corrected and
    what the translation memory did with it."""

    original: str
    learning: Learning


@dataclass(frozen=True)
class GlossaryTerm:
    """A glossary entry added in chat: a word never translated (`translation` None) or a fixed
    translation from `source` to `target`."""

    id: int
    term: str
    translation: str | None
    source: str | None
    target: str | None
    added_by: str

    @property
    def keeps(self) -> bool:
        return self.translation is None


def merged_glossary(configured: Glossary, terms: Iterable[GlossaryTerm]) -> Glossary:
    """The configuration's glossary with the chat's terms added; a chat term wins over a fixed
    translation of the same word in the configuration."""
    keep = list(configured.keep)
    fixed = {pair: dict(words) for pair, words in configured.fixed.items()}
    for term in terms:
        if term.keeps:
            if term.term not in keep:
                keep.append(term.term)
        elif term.source and term.target and term.translation:
            fixed.setdefault((term.source, term.target), {})[term.term] = term.translation
            # A term fixed by an interpreter works both ways.
            fixed.setdefault((term.target, term.source), {})[term.translation] = term.term
    return Glossary(keep=tuple(keep), fixed=fixed)


def chat_glossary_changes(
    text: str,
    source: str,
    target: str,
    *,
    glossary: Glossary,
    chat: Glossary,
    display_names: Sequence[str] = (),
) -> tuple[GlossaryUse, ...]:
    """The terms added in chat (`chat`, part of the whole `glossary`) that change the
    translation of `text`, found by the same rule the translator protects them by. A copy's
    label names them: a term added in the middle of a meeting changes what people read. The
    configuration's terms are the assembly's standing vocabulary, and are not named."""
    if not chat.keep and not chat.fixed:
        return ()
    used = protect(
        text, source=source, target=target, glossary=glossary, display_names=display_names
    ).glossary_used
    fixed = chat.fixed_for(source, target)
    return tuple(u for u in used if fixed.get(u.term) == u.replacement or u.term in chat.keep)


@dataclass(frozen=True)
class MemoryEntry:
    """A human translation of one sentence, reused for the same sentence later."""

    id: int
    source: str
    target: str
    original: str
    text: str
    interpreter: str
