"""Words as people type them: the same word with or without accents, in any case."""

from __future__ import annotations

import unicodedata


def plain(word: str) -> str:
    """Lower case without accents, so "Votación", "votacion" and "VOTACIÓN" are one word."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def counted(count: int, one: str, many: str) -> str:
    """ "1 problem", "2 problems", for the English of logs and the command line."""
    return f"{count} {one if count == 1 else many}"
