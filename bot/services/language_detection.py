"""Which of the assembly's languages a chat message is written in, offline.

People may write in any room in their own language: a Spanish message in the English room is
to be translated *from Spanish*. The room's language stays the answer unless the message is
clearly in another of the assembly's languages:

- Only words count: mentions, links, code, e-mail addresses, emoji, numbers and command lines
  are taken out first (`bot.domain.language_evidence`).
- Short text falls back: fewer than `MIN_LETTERS` letters ("ok", "sí", "gracias", "thank you",
  "+1", "jaja") is a word or two that both languages share or borrow.
- Unsure text falls back: the leading language must beat the runner-up by `MIN_MARGIN` of the
  confidence (with two languages, at least 75 % against 25 %).

Both thresholds were tuned on `tests/data/language_lines.tsv`: any minimum from 10 to 12
letters scores the same there, and 10 is the smallest that makes every one- and two-word
acknowledgement fall back. Lingua's confidences on whole lines are seldom in between, so the
margin (the middle of a stretch from 0 to 0.65 that scores the same) decides few lines. Text
that switches language mid-line ("ok pero who is bringing the snacks") mostly gets the language
Lingua leans to, not the room's: per-word and per-window checks were tried and cost as many
clear lines as they saved mixed ones.

The library is Lingua (`lingua-language-detector`): its models ship inside the package and it
makes no network call. It runs in low-accuracy mode (trigram models only), loading just the
assembly's languages: about 10 MB and a few tens of milliseconds at start. The full models
take about 80 MB (135 MB while loading, past the bot's 150 MB budget) and two seconds, for 3
more right answers of the 446 asked on clear lines; py3langid finds every clear line but
holds 85 MB (110 MB while loading). `python -m benchmarks.run --only language` measures all of
them side by side.
Models load when the detector is built, at start-up, so a broken install shows at once and no
message waits for a load. A detection takes a tenth of a millisecond, so it runs on the event
loop, not in a thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from lingua import IsoCode639_1, LanguageDetectorBuilder

from bot.domain.language_evidence import letter_count, spoken_text

MIN_LETTERS = 10
MIN_MARGIN = 0.5
# The first words tell the language of a long message as well as all of them would; reading
# only the start bounds the time one message can take. 2000 is as much as is ever translated.
READ_CHARS = 2000
JUDGED_CHARS = 400
# Finding the words costs time in proportion to what is read: the start is read first, and more
# only when it holds too few words (a message opening with links or code).
READ_FIRST_CHARS = 600


class LanguageModel(Protocol):
    """A statistical model's confidence, per language code, that `text` is in that language."""

    def confidences(self, text: str) -> Mapping[str, float]: ...


class LinguaModel:
    """Lingua restricted to the given languages (ISO 639-1 codes), models loaded now."""

    def __init__(
        self, languages: Sequence[str], *, low_accuracy: bool = True, preload: bool = True
    ) -> None:
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*map(_iso_code, languages))
        if low_accuracy:
            builder = builder.with_low_accuracy_mode()
        if preload:
            builder = builder.with_preloaded_language_models()
        self._detector = builder.build()

    def confidences(self, text: str) -> dict[str, float]:
        return {
            value.language.iso_code_639_1.name.lower(): value.value
            for value in self._detector.compute_language_confidence_values(text)
        }


def _iso_code(language: str) -> IsoCode639_1:
    try:
        return IsoCode639_1.from_str(language)
    except ValueError:
        raise ValueError(f"language detection does not know the language {language!r}") from None


class LanguageDetector:
    """The language of a message among an assembly's languages, or the room's when unsure.

    Build one per set of languages at start-up and share it: it holds the loaded models and no
    state about messages.
    """

    def __init__(
        self,
        languages: Sequence[str],
        *,
        command_prefix: str = "!",
        model: LanguageModel | None = None,
        min_letters: int = MIN_LETTERS,
        min_margin: float = MIN_MARGIN,
    ) -> None:
        self.languages = tuple(dict.fromkeys(languages))
        self._prefix = command_prefix
        self._min_letters = min_letters
        self._min_margin = min_margin
        # With one language there is nothing to tell apart (and Lingua needs two).
        self._model = model
        if model is None and len(self.languages) > 1:
            self._model = LinguaModel(self.languages)

    def detect(self, text: str, fallback: str, *, names: Sequence[str] = ()) -> str:
        """The language `text` is written in, or `fallback` (the room's language) when the text
        is short or the model is unsure. `names` are display names in the room, which say
        nothing about the language around them."""
        if self._model is None:
            return fallback
        words = self._words(text, names)[:JUDGED_CHARS]
        if letter_count(words) < self._min_letters:
            return fallback
        ranked = sorted(self._model.confidences(words).items(), key=lambda kv: -kv[1])
        if not ranked:
            return fallback
        (best, confidence), runner_up = ranked[0], ranked[1][1] if len(ranked) > 1 else 0.0
        if best not in self.languages or confidence - runner_up < self._min_margin:
            return fallback
        return best

    def _words(self, text: str, names: Sequence[str]) -> str:
        # Words found near the cut may be the start of something cut in two (a link): the first
        # read counts only with room to spare.
        for read in (READ_FIRST_CHARS, READ_CHARS):
            words = spoken_text(text[:read], command_prefix=self._prefix, names=names)
            if len(text) <= read or len(words) >= JUDGED_CHARS + 100:
                return words
        return words
