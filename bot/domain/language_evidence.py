"""The part of a chat message that tells which language it is written in.

Pure text logic, no I/O. Mentions, links, code, e-mail addresses, emoji, numbers and the bot's
command lines read the same in every language: left in, they only pad a short message or sway it
(a Spanish link in an English sentence, an English user id in "gracias @ana:example.org"). They
are found by the same recognisers that keep them away from machine translation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.domain.text_protection import PLACEHOLDER_RE, protect


def spoken_text(text: str, *, command_prefix: str = "!", names: Sequence[str] = ()) -> str:
    """The words of `text` that belong to a language, on one line.

    `names` are the display names of people in the room: a mention pill arrives in the body as
    the name itself, and "Beto" says nothing about the language around it.
    """
    lines = [line for line in text.splitlines() if not _is_command(line, command_prefix)]
    masked = protect("\n".join(lines), source="", target="", display_names=names).masked
    kept: list[str] = []
    for ch in PLACEHOLDER_RE.sub(" ", masked):
        kept.append(ch if _is_spoken(ch, kept[-1] if kept else " ") else " ")
    return " ".join("".join(kept).split())


def letter_count(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch).startswith("L"))


def _is_command(line: str, prefix: str) -> bool:
    # "!hand" is a command line; "!!! we won" is not.
    return re.match(rf"\s*{re.escape(prefix)}\w", line) is not None


def _is_spoken(ch: str, previous: str) -> bool:
    # Letters, apostrophes ("didn't") and accents that follow a letter stay; punctuation, digits,
    # emoji and the marks that join emoji (skin tones, variation selectors) go.
    category = unicodedata.category(ch)
    if category[0] == "M":
        return unicodedata.category(previous)[0] == "L"
    return category[0] == "L" or ch in "'’"
