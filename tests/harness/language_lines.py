"""Chat lines labelled with the language a detector must find, and a detector's score on them.

`tests/data/language_lines.tsv` holds one line per row: the expected answer (`en`, `es`, or
`fallback`: the room's language, whichever it is), a kind (clear, chat, mexican, no-accents,
short, mixed, noise, command) and the text, where `\\n` stands for a line break. Every line is
asked once as if written in the English room and once as if in the Spanish room, so a clear
line must be found whatever the room, and a fallback line must come back as each room's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LINES = Path(__file__).resolve().parents[1] / "data" / "language_lines.tsv"
FALLBACK = "fallback"
ROOMS = ("en", "es")


@dataclass(frozen=True)
class LabelledLine:
    expected: str
    kind: str
    text: str

    @property
    def is_clear(self) -> bool:
        return self.expected != FALLBACK

    def wanted(self, room: str) -> str:
        return room if self.expected == FALLBACK else self.expected


def labelled_lines(path: Path = LINES) -> list[LabelledLine]:
    lines = []
    for row in path.read_text(encoding="utf-8").splitlines():
        if not row or row.startswith("#") or row.startswith("expected\t"):
            continue
        expected, kind, text = row.split("\t")
        lines.append(LabelledLine(expected, kind, text.replace("\\n", "\n")))
    return lines


@dataclass(frozen=True)
class Miss:
    line: LabelledLine
    room: str
    answer: str


@dataclass
class Score:
    """Right answers out of asked, for the clear lines and the fallback lines apart."""

    clear: tuple[int, int] = (0, 0)
    fallback: tuple[int, int] = (0, 0)
    misses: list[Miss] = field(default_factory=list)

    @staticmethod
    def share(counts: tuple[int, int]) -> float:
        return counts[0] / counts[1] if counts[1] else 0.0

    @property
    def clear_accuracy(self) -> float:
        return self.share(self.clear)

    @property
    def fallback_accuracy(self) -> float:
        return self.share(self.fallback)

    @property
    def accuracy(self) -> float:
        return self.share((self.clear[0] + self.fallback[0], self.clear[1] + self.fallback[1]))


def score(
    detect: Callable[[str, str], str], lines: Sequence[LabelledLine], rooms: Sequence[str] = ROOMS
) -> Score:
    """`detect(text, room_language)` asked every line in every room."""
    result = Score()
    for line in lines:
        for room in rooms:
            answer = detect(line.text, room)
            right = answer == line.wanted(room)
            kind = "clear" if line.is_clear else "fallback"
            done, asked = getattr(result, kind)
            setattr(result, kind, (done + right, asked + 1))
            if not right:
                result.misses.append(Miss(line, room, answer))
    return result
