"""Markdown that reads as plain text: words placed in it keep their meaning, and nothing else is
escaped.

A backslash goes only before a character that Markdown (CommonMark, with GitHub's tables and
strikethrough) would otherwise read as markup where it stands: `#1` and `[item: Budget]` stay as
they are, while `<script>`, `[x](javascript:…)`, a `|` in a table cell, a `*` that could open
emphasis or a `- ` that would start a list are escaped. Whether a character is markup depends on
its neighbours, so a line is escaped as a whole, with the markup the minutes add themselves
(`**` and `_` around styled words) taken into account but never escaped; a paragraph of several
lines (the minutes' header) is escaped as a whole too, since emphasis and code may run across
its line breaks. Pure text logic.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

_PUNCTUATION = frozenset(string.punctuation)
_SPACE, _PUNCT, _WORD = "space", "punct", "word"
# What an unknown neighbour might be: any of them.
_ANY = (_SPACE, _PUNCT, _WORD)
# Runs of these open or close emphasis (and strikethrough) by the flanking rules.
_DELIMITERS = frozenset("*_~")
_ENTITY = re.compile(r"&(?:#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});")
# The start of an entity that what follows the text could complete.
_OPEN_ENTITY = re.compile(r"&(?:#[xX]?[0-9a-fA-F]*|[A-Za-z][A-Za-z0-9]*)\Z")
_TAG_START = frozenset(string.ascii_letters + "/!?")
# A heading, a quote, a list item or a code fence.
_BLOCK = re.compile(r"#{1,6}(?: |$)|>|[-+*](?: |$)|```|~~~")
_ORDERED = re.compile(r"\d{1,9}[.)](?: |$)")
_RULE = re.compile(r"(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,}|=+\s*)$")


@dataclass(frozen=True)
class Piece:
    """A character of a Markdown line: the text's own, or markup the writer added."""

    char: str
    markup: bool = False


Line = Sequence[Piece]


def text_pieces(text: str) -> list[Piece]:
    """Words as one line of text: a line break would end a list item or a table row."""
    return [Piece(c) for c in re.sub(r"\s+", " ", text)]


def styled(text: str, style: str) -> list[Piece]:
    """Words wrapped in the markup of a style: "strong" (`**`), "em" (`_`), or none."""
    pieces = text_pieces(text)
    mark = {"strong": "**", "em": "_"}.get(style, "")
    if not pieces or not mark:
        return pieces
    around = [Piece(c, markup=True) for c in mark]
    return [*around, *pieces, *around]


def escape_lines(
    lines: Sequence[Line],
    *,
    line_start: bool = True,
    heading: bool = False,
    cell: bool = False,
    known_context: bool = True,
) -> list[str]:
    """The lines of one paragraph (or one list item, heading or table cell), escaped.

    `line_start`: each line begins a line of the document, where a block (a list, a heading, a
    quote…) could start. `heading`: the line is an ATX heading's, whose trailing run of `#` would
    be dropped. `cell`: the line is a table cell's, which a `|` would end. `known_context`: the
    lines stand alone, between line breaks or spaces; otherwise (a value the template places
    among its own characters) nothing is assumed about what surrounds them."""
    flat = [piece for line in lines for piece in [*line, Piece("\n", markup=True)]][:-1]
    chars = "".join(p.char for p in flat)
    edge = " " if known_context else None
    escaped = [False] * len(flat)
    _emphasis(flat, chars, escaped, edge, paired_only=known_context)
    _code(flat, chars, escaped, paired_only=known_context)
    for index, piece in enumerate(flat):
        if not piece.markup and _inline(chars, index, cell, known_context):
            escaped[index] = True
    out, start = [], 0
    for line in lines:
        end = start + len(line)
        span = range(start, end)
        if line_start:
            _block_start(flat, span, escaped)
        if heading:
            _closing_hashes(flat, span, escaped)
        out.append("".join(("\\" if escaped[i] else "") + flat[i].char for i in span))
        start = end + 1
    return out


def escape_value(text: str) -> str:
    """A value the template prints among its own characters: escaped on every side."""
    [line] = escape_lines(
        [text_pieces(text)], line_start=True, heading=True, cell=True, known_context=False
    )
    return line


# -- inline markup -------------------------------------------------------------------------------


def _kinds(char: str | None) -> tuple[str, ...]:
    if char is None:
        return _ANY
    if char.isspace():
        return (_SPACE,)
    if char in _PUNCTUATION or not char.isalnum():
        return (_PUNCT,)
    return (_WORD,)


def _inline(chars: str, index: int, cell: bool, known_context: bool) -> bool:
    """Whether one character is markup on its own: a backslash escaping what follows, an HTML
    tag or autolink, an entity, a link's closing bracket, a table's bar. After the last
    character comes a space or a line break, unless the context is not known."""
    char = chars[index]
    following = chars[index + 1] if index + 1 < len(chars) else (" " if known_context else None)
    if char == "\\":
        # Before punctuation it escapes it; at the end of a line it breaks the line.
        return following is None or following in _PUNCTUATION or following == "\n"
    if char == "<":
        return following is None or following in _TAG_START
    if char == "&":
        return bool(_ENTITY.match(chars, index)) or (
            not known_context and bool(_OPEN_ENTITY.match(chars, index))
        )
    if char == "]":
        # "](" and "][" make a link of the bracketed words, "]:" a link definition.
        return following is None or following in "([:"
    return char == "|" and cell


def _runs(flat: Sequence[Piece], chars: str, kind: frozenset[str]) -> list[range]:
    """Runs of one delimiter character among the text's own characters."""
    runs, index = [], 0
    while index < len(flat):
        char = chars[index]
        if char in kind and not flat[index].markup:
            end = index
            while end < len(flat) and chars[end] == char and not flat[end].markup:
                end += 1
            runs.append(range(index, end))
            index = end
        else:
            index += 1
    return runs


def _emphasis(
    flat: Sequence[Piece], chars: str, escaped: list[bool], edge: str | None, paired_only: bool
) -> None:
    """Escape each run of `*`, `_` or `~` that could open or close emphasis (or strikethrough)
    by CommonMark's flanking rules. A run is left alone when no other run of its character
    stands in the paragraph (the writer's own `**` and `_` count), since emphasis needs two."""
    for run in _runs(flat, chars, _DELIMITERS):
        char = chars[run.start]
        if paired_only and _alone(chars, run, char):
            continue
        before = chars[run.start - 1] if run.start > 0 else edge
        after = chars[run.stop] if run.stop < len(chars) else edge
        if any(_delimits(char, b, a) for b, a in product(_kinds(before), _kinds(after))):
            for index in run:
                escaped[index] = True


def _alone(chars: str, run: range, char: str) -> bool:
    others = chars[: run.start] + " " + chars[run.stop :]
    return char not in others


def _delimits(char: str, before: str, after: str) -> bool:
    left = after != _SPACE and (after != _PUNCT or before in (_SPACE, _PUNCT))
    right = before != _SPACE and (before != _PUNCT or after in (_SPACE, _PUNCT))
    if char != "_":
        return left or right
    opens = left and (not right or before == _PUNCT)
    closes = right and (not left or after == _PUNCT)
    return opens or closes


def _code(flat: Sequence[Piece], chars: str, escaped: list[bool], paired_only: bool) -> None:
    """A run of backticks starts code when a run of the same length closes it."""
    runs = _runs(flat, chars, frozenset("`"))
    lengths = [len(run) for run in runs]
    for run in runs:
        if not paired_only or lengths.count(len(run)) > 1:
            for index in run:
                escaped[index] = True


# -- blocks --------------------------------------------------------------------------------------


def _block_start(flat: Sequence[Piece], span: range, escaped: list[bool]) -> None:
    """Escape what would start a block at the beginning of a line: a heading, a quote, a list
    item, a rule (or a heading's underline), a fenced code block."""
    first = next((i for i in span if flat[i].char != " "), None)
    if first is None or flat[first].markup:
        return
    rest = "".join(flat[i].char for i in range(first, span.stop))
    if _BLOCK.match(rest) or _RULE.match(rest):
        escaped[first] = True
    elif match := _ORDERED.match(rest):
        escaped[first + len(match.group(0).rstrip()) - 1] = True


def _closing_hashes(flat: Sequence[Piece], span: range, escaped: list[bool]) -> None:
    """An ATX heading drops a run of `#` that ends it after a space: "Budget #" would lose its
    "#"."""
    text = "".join(flat[i].char for i in span).rstrip()
    match = re.search(r"(?:^| )(#+)$", text)
    if match and not flat[span.start + match.start(1)].markup:
        escaped[span.start + match.start(1)] = True
