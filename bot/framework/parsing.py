"""Turning a message body into a command name and its argument words."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from bot.framework.errors import CommandError

# Phones and Spanish keyboards type these; people mean plain quotes.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


@dataclass(frozen=True)
class Invocation:
    name: str
    words: tuple[str, ...]


def parse_invocation(body: str, prefix: str) -> Invocation | None:
    """None when the body is not a command at all; CommandError when its quoting is broken."""
    text = body.strip()
    if not text.startswith(prefix) or len(text) == len(prefix):
        return None
    head, _, rest = text[len(prefix) :].partition(" ")
    name = head.strip().lower()
    if not name or not (name[0].isalpha() or name[0] == "?"):
        return None
    return Invocation(name=name, words=split_words(rest.strip()))


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
