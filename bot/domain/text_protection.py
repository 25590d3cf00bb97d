"""Keep the parts of a chat message that must not be machine-translated out of the MT engine.

Pure text logic, no I/O. The translation service uses it like this:

    protected = protect(text, source="en", target="es", glossary=..., display_names=...)
    if protected.needs_translation:
        translated = await engine.translate(protected.masked, "en", "es")
        text = protected.restore(translated)

Protected spans (code, URLs, Matrix ids, pills, glossary terms) are swapped for placeholder
tokens ``[[0]]``, ``[[1]]``… ASCII brackets and digits were chosen over exotic symbols such as
``⟦0⟧`` because neural engines with sentencepiece vocabularies (Argos/LibreTranslate) tend to turn
rare symbols into unknown-token marks, while brackets and digits are in every vocabulary and are
usually copied through. Restoration is lenient about what engines do to such tokens (added spaces,
full-width or ⟦⟧ brackets), and a token the engine dropped has its text appended rather than lost.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# --- placeholders -------------------------------------------------------------------------------

# Inner spaces: anything but a newline (engines add plain, no-break or thin spaces).
_SP = r"[^\S\n]*"
_OPEN = rf"(?:\[{_SP}\[|［{_SP}［|⟦)"
_CLOSE = rf"(?:\]{_SP}\]|］{_SP}］|⟧)"
# Matches our tokens as written and as engines commonly mangle them.
PLACEHOLDER_RE = re.compile(rf"{_OPEN}{_SP}(\d+){_SP}{_CLOSE}")


def placeholder(index: int) -> str:
    return f"[[{index}]]"


# --- recognisers for protected spans ------------------------------------------------------------

_FENCED_CODE_RE = re.compile(r"(```|~~~).*?(?:\1|\Z)", re.DOTALL)
# `code` or ``code with ` inside``; Markdown inline code does not cross lines.
_INLINE_CODE_RE = re.compile(r"(?<!`)(`{1,2})(?!`)[^\n]+?(?<!`)\1(?!`)")
_URL_RE = re.compile(r"(?:\b(?:https?|ftp|mxc)://|\bwww\.)[^\s<>\"'`]+", re.IGNORECASE)
# Matrix user ids, room aliases and room ids: sigil, localpart, ':', server name, optional port.
# The server name never ends with '.', so "ping @bob:example.org." keeps its full stop.
_MATRIX_ID_RE = re.compile(
    r"(?<![\w@#!])[@#!][\w.=\-/+]+:[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*(?::\d{1,5})?(?![\w\-])"
)
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")

_URL_TRAILING = ".,;:!?'\""
_BRACKET_PAIRS = {")": "(", "]": "[", "}": "{"}


def _trim_url(url: str) -> str:
    """Drop sentence punctuation glued to a URL, keeping balanced brackets (Wikipedia links)."""
    while url:
        last = url[-1]
        unbalanced = last in _BRACKET_PAIRS and url.count(last) > url.count(_BRACKET_PAIRS[last])
        if last not in _URL_TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url


def _term_pattern(term: str, *, ignore_case: bool) -> re.Pattern[str]:
    # Whole words only: "Asamblea" must not match inside "Asambleas" or "reasamblea".
    flags = re.IGNORECASE if ignore_case else 0
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", flags)


# --- glossary -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Glossary:
    """An assembly's vocabulary rules.

    ``keep`` terms are never translated (matched case-sensitively, so the proper name "Asamblea"
    is kept while the common noun "asamblea" may still be translated). ``fixed`` gives forced
    translations per (source, target) pair, matched case-insensitively; the replacement copies
    the capitalisation of the matched word.
    """

    keep: tuple[str, ...] = ()
    fixed: Mapping[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)

    def fixed_for(self, source: str, target: str) -> Mapping[str, str]:
        return self.fixed.get((source, target), {})


EMPTY_GLOSSARY = Glossary()


def _match_case(template: str, word: str) -> str:
    if len(template) > 1 and template.isupper():
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


# --- protect / restore --------------------------------------------------------------------------


@dataclass(frozen=True)
class GlossaryUse:
    """A glossary entry that changed a message's translation: `term` as the glossary writes it,
    and what the translation says instead (the term itself for a term never translated)."""

    term: str
    replacement: str

    @property
    def keeps(self) -> bool:
        return self.term == self.replacement


@dataclass(frozen=True)
class ProtectedText:
    """A message with its protected spans replaced by placeholders."""

    masked: str
    spans: tuple[str, ...]
    # The glossary entries that claimed a span, in the order they were tried.
    glossary_used: tuple[GlossaryUse, ...] = ()

    @property
    def needs_translation(self) -> bool:
        """False when nothing outside the placeholders is a letter: no engine call is needed."""
        return _has_letters(PLACEHOLDER_RE.sub("", self.masked))

    def restore(self, translated: str) -> str:
        return restore(translated, self.spans)


class _SpanCollector:
    """Claims non-overlapping character ranges; rules run in priority order, first claim wins."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._claimed = bytearray(len(text))
        self._spans: list[tuple[int, int, str]] = []

    def claim(self, start: int, end: int, replacement: str) -> bool:
        """Whether the range was free, and is now claimed."""
        if start >= end or any(self._claimed[start:end]):
            return False
        self._claimed[start:end] = b"\x01" * (end - start)
        self._spans.append((start, end, replacement))
        return True

    def claim_all(self, pattern: re.Pattern[str]) -> bool:
        """Whether any match was claimed."""
        claimed = [self.claim(m.start(), m.end(), m.group(0)) for m in pattern.finditer(self._text)]
        return any(claimed)

    def build(self, glossary_used: tuple[GlossaryUse, ...] = ()) -> ProtectedText:
        parts: list[str] = []
        spans: list[str] = []
        position = 0
        for start, end, replacement in sorted(self._spans):
            parts.append(self._text[position:start])
            parts.append(placeholder(len(spans)))
            spans.append(replacement)
            position = end
        parts.append(self._text[position:])
        return ProtectedText("".join(parts), tuple(spans), glossary_used)


def protect(
    text: str,
    *,
    source: str,
    target: str,
    glossary: Glossary = EMPTY_GLOSSARY,
    display_names: Sequence[str] = (),
) -> ProtectedText:
    """Replace everything the engine must not touch with placeholder tokens."""
    spans = _SpanCollector(text)
    # Code first: a URL or a mention inside a code block belongs to the code block.
    spans.claim_all(_FENCED_CODE_RE)
    spans.claim_all(_INLINE_CODE_RE)
    for match in _URL_RE.finditer(text):
        url = _trim_url(match.group(0))
        spans.claim(match.start(), match.start() + len(url), url)
    spans.claim_all(_MATRIX_ID_RE)
    spans.claim_all(_EMAIL_RE)
    # Text that already looks like a placeholder is protected too, so restore() stays exact.
    spans.claim_all(PLACEHOLDER_RE)
    # Longest first, so "Ana María" wins over "Ana".
    for name in sorted({n for n in display_names if n.strip()}, key=len, reverse=True):
        spans.claim_all(_term_pattern(name, ignore_case=False))
    used: list[GlossaryUse] = []
    for term in sorted(set(glossary.keep), key=len, reverse=True):
        if spans.claim_all(_term_pattern(term, ignore_case=False)):
            used.append(GlossaryUse(term, term))
    fixed = glossary.fixed_for(source, target)
    for term in sorted(fixed, key=len, reverse=True):
        matches = _term_pattern(term, ignore_case=True).finditer(text)
        replaced = [
            spans.claim(m.start(), m.end(), _match_case(m.group(0), fixed[term])) for m in matches
        ]
        if any(replaced):
            used.append(GlossaryUse(term, fixed[term]))
    return spans.build(tuple(used))


def restore(translated: str, spans: Sequence[str]) -> str:
    """Put protected spans back, tolerating mangled tokens; append any the engine dropped."""
    used: set[int] = set()

    def put_back(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(spans):
            return match.group(0)  # not ours: an engine invention or unrelated text
        used.add(index)
        return spans[index]

    result = PLACEHOLDER_RE.sub(put_back, translated)
    missing = [span for index, span in enumerate(spans) if index not in used]
    if missing:
        # Losing a mention or a link is worse than a slightly odd word order.
        result = " ".join([result.rstrip(), *missing]) if result.strip() else " ".join(missing)
    return result


# --- messages that need no translation ----------------------------------------------------------

_KEYCAP_BASES = frozenset("#*0123456789")
_EMOJI_MODIFIER_CATEGORIES = frozenset({"Sk", "Me", "Mn", "Cf"})  # skin tones, keycap, VS16, ZWJ


def _has_letters(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def has_words(text: str) -> bool:
    """Whether a translator would be asked about the text: letters outside its links, mentions,
    Matrix ids, e-mail addresses and code. "👍", a link or a mention alone have none."""
    return protect(text, source="", target="").needs_translation


def is_emoji_only(text: str) -> bool:
    """True for reactions-as-messages like "👍", "🎉🎉" or "👩🏽‍💻": nothing to translate."""
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return False
    has_symbol = False
    for index, ch in enumerate(chars):
        category = unicodedata.category(ch)
        if category == "So":
            has_symbol = True
        elif category in _EMOJI_MODIFIER_CATEGORIES:
            continue
        elif ch in _KEYCAP_BASES and index + 1 < len(chars) and chars[index + 1] in "\ufe0f\u20e3":
            has_symbol = True  # keycap emoji such as 1️⃣
        else:
            return False
    return has_symbol


# --- Matrix reply fallbacks ---------------------------------------------------------------------

_MX_REPLY_RE = re.compile(r"<mx-reply>.*?</mx-reply>", re.DOTALL | re.IGNORECASE)


def strip_reply_fallback(body: str, formatted_body: str | None) -> tuple[str, str | None]:
    """Remove the quoted original that clients prepend to replies.

    Call it only for events that are replies (``m.in_reply_to``): in any other message a leading
    "> " line is the author's own quotation and must be kept.
    """
    lines = body.split("\n")
    quoted = 0
    while quoted < len(lines) and (lines[quoted].startswith("> ") or lines[quoted] == ">"):
        quoted += 1
    if quoted and quoted < len(lines) and lines[quoted] == "":
        quoted += 1  # the blank line separating fallback and reply
    stripped_body = "\n".join(lines[quoted:]) if quoted else body
    stripped_html = _MX_REPLY_RE.sub("", formatted_body) if formatted_body is not None else None
    return stripped_body, stripped_html


# --- splitting long text ------------------------------------------------------------------------

# Cut after a paragraph break, then a line break, then a sentence end (with closing quotes).
_BOUNDARY_RES = (
    re.compile(r"\n[^\S\n]*\n\s*"),
    re.compile(r"\n\s*"),
    re.compile(r"[.!?…。！？]+[\"'”’»)\]]*\s+"),
)
_WHITESPACE_RE = re.compile(r"\s+")


def _last_cut(pattern: re.Pattern[str], window: str) -> int:
    """Position just after the last boundary in window, or 0 when there is none."""
    cut = 0
    for match in pattern.finditer(window):
        cut = match.end()
    return cut


def _choose_cut(rest: str, max_chars: int) -> int:
    # A paragraph break near the start of the window would make many tiny requests, so a
    # boundary kind only wins if it falls in the second half; otherwise take the latest of any.
    window = rest[:max_chars]
    cuts = [_last_cut(pattern, window) for pattern in (*_BOUNDARY_RES, _WHITESPACE_RE)]
    for cut in cuts:
        if cut and cut >= len(window) // 2:
            return cut
    best = max(cuts)
    if best:
        return best
    return _hard_cut(rest, max_chars)


def _hard_cut(rest: str, max_chars: int) -> int:
    # One enormous "word": cut at the limit, but never through a placeholder token.
    for match in PLACEHOLDER_RE.finditer(rest, 0, max_chars + 64):
        if match.start() < max_chars < match.end() and match.start() > 0:
            return match.start()
    return max_chars


def split_text(text: str, max_chars: int) -> list[str]:
    """Split into chunks of at most max_chars whose concatenation is exactly text.

    Prefers paragraph and sentence boundaries, then whitespace, then a hard cut. Separators stay
    attached to the end of the chunk before them, so joining the translated chunks (with their
    surrounding whitespace preserved) keeps the original layout.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    chunks: list[str] = []
    rest = text
    while len(rest) > max_chars:
        cut = _choose_cut(rest, max_chars)
        chunks.append(rest[:cut])
        rest = rest[cut:]
    if rest or not chunks:
        chunks.append(rest)
    return chunks
