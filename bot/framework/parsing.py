"""Turning a message body into a command name and its argument words.

A pill (a person picked in the client, `bot.domain.mentions`) is one word, whatever its display
name holds (spaces, quotes, "(US)"): a `Mention`, which reads as the name the body shows and
remembers whom it names.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.mentions import Pill
from bot.framework.errors import CommandError

# Phones and Spanish keyboards type these; people mean plain quotes.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
# A pill stands in the body as one of these while it is split into words: characters of the
# private use area, which no keyboard types and no quoting or spacing touches.
_OPEN, _CLOSE = "\ue000", "\ue001"
_MARK = re.compile(f"{_OPEN}(\\d+){_CLOSE}")


class Mention(str):
    """A word that is a pill: the text the body shows for it (a display name, and any
    punctuation typed against it), naming `user_id`."""

    user_id: str

    def __new__(cls, text: str, user_id: str) -> Mention:
        word = super().__new__(cls, text)
        word.user_id = user_id
        return word


@dataclass(frozen=True)
class Invocation:
    name: str
    words: tuple[str, ...]


def parse_invocation(body: str, prefix: str, pills: Sequence[Pill] = ()) -> Invocation | None:
    """None when the body is not a command at all; CommandError when its quoting is broken.
    `pills` are the body's mentions (`bot.domain.mentions.pills_in`): each becomes a `Mention`
    word where it stands alone."""
    if _OPEN in body or _CLOSE in body:
        pills = ()  # the body types our marks itself: its pills are read as the words they show
    # A mention names a command's argument, never the command: a link around the command word
    # itself (no client makes one) leaves it the word it shows.
    command_end = _first_word_end(body)
    pills = [pill for pill in pills if pill.start >= command_end]
    marked, named = _marked(body, pills)
    text = marked.strip()
    if not text.startswith(prefix) or len(text) == len(prefix):
        return None
    head, _, rest = text[len(prefix) :].partition(" ")
    name = _unmarked(head, named).strip().lower() if named else head.strip().lower()
    if not name or not (name[0].isalpha() or name[0] == "?"):
        return None
    words = split_words(rest.strip())
    if named:
        words = tuple(_word(word, named) for word in words)
    return Invocation(name=name, words=words)


def _first_word_end(body: str) -> int:
    start = len(body) - len(body.lstrip())
    space = body.find(" ", start)
    return len(body) if space == -1 else space


def split_words(text: str) -> tuple[str, ...]:
    """Split on spaces; double quotes group words. Apostrophes ("don't") are ordinary letters."""
    lexer = shlex.shlex(text.translate(_QUOTES), posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.escape = ""
    lexer.commenters = ""
    try:
        return tuple(lexer)
    except ValueError:
        raise CommandError("error.unbalanced_quote") from None


def _marked(body: str, pills: Sequence[Pill]) -> tuple[str, list[Mention]]:
    """The body with each pill replaced by a mark, and what each mark stands for."""
    parts: list[str] = []
    named: list[Mention] = []
    position = 0
    for pill in sorted(pills, key=lambda p: p.start):
        if pill.start < position or pill.end > len(body):
            continue  # overlapping pills: the first one holds the words
        parts += [body[position : pill.start], f"{_OPEN}{len(named)}{_CLOSE}"]
        named.append(Mention(body[pill.start : pill.end], pill.user_id))
        position = pill.end
    return "".join(parts) + body[position:], named


def _unmarked(text: str, named: Sequence[Mention]) -> str:
    """The text as the body wrote it: each mark back to the display name it stands for."""
    return _MARK.sub(lambda mark: str(named[int(mark.group(1))]), text)


def _word(word: str, named: Sequence[Mention]) -> str:
    """A word holding one pill and nothing else but punctuation is that pill's `Mention`;
    a pill among other words (inside quotes) is only its text."""
    marks = _MARK.findall(word)
    text = _unmarked(word, named)
    if len(marks) == 1 and not any(c.isalnum() for c in _MARK.sub("", word)):
        return Mention(text, named[int(marks[0])].user_id)
    return text
