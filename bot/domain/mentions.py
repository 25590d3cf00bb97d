"""How a message names a person: the pills a client made in it, and names typed by hand.

A person picked from the member list as one types becomes a "pill". Element sends it three
ways at once: the plain body holds the person's display name ("Carol (US)"), the HTML body a
link around it (`<a href="https://matrix.to/#/@carol:example.org">Carol (US)</a>`), and
`m.mentions` the person's id. `pills_in` finds where in the plain body each pill sits, so that a
command reads those words as the person they name. A name typed by hand is matched against the
assembly's members by `match_name`. Pure text logic, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.domain.words import plain

# A user id as the spec allows it (at most 255 characters), without what ends a link's path.
_USER_ID = re.compile(r"^@[^:\s/?#]+:[^\s/?#]+$")
_MAX_USER_ID = 255
# A command names a person or two; a message with more links than this is not read further.
_MAX_LINKS = 64


def mentioned_users(content: dict[str, Any]) -> list[str]:
    """The user ids a message's `m.mentions` names, each once, in order."""
    mentions = content.get("m.mentions")
    users = mentions.get("user_ids") if isinstance(mentions, dict) else None
    if not isinstance(users, list):
        return []
    return list(dict.fromkeys(u for u in users if isinstance(u, str)))


def user_id_of_link(href: str) -> str | None:
    """The user a link points to, for a matrix.to permalink (`https://matrix.to/#/@x:y`, with
    or without `?via=`, percent-encoded or not) or a Matrix URI (`matrix:u/x:y`); None for any
    other link: a room, an event, another site."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return None
    if parts.scheme in ("https", "http") and parts.netloc.lower() == "matrix.to":
        candidate = unquote(parts.fragment.removeprefix("/").partition("?")[0])
    elif parts.scheme == "matrix" and parts.path.startswith("u/"):
        candidate = "@" + unquote(parts.path.removeprefix("u/"))
    else:
        return None
    return candidate if _is_user_id(candidate) else None


def _is_user_id(text: str) -> bool:
    return len(text) <= _MAX_USER_ID and _USER_ID.match(text) is not None


@dataclass(frozen=True)
class Pill:
    """A mention in a message: the characters `start:end` of its plain body name `user_id`."""

    start: int
    end: int
    user_id: str


@dataclass(frozen=True)
class _Link:
    text: str
    user_id: str
    # How often `text` appears in the HTML's text before the link: the same name said earlier
    # without a pill must not be taken for it.
    earlier: int


class _LinkReader(HTMLParser):
    """The user links of an HTML body and the text around them. A reply's quoted fallback
    (`<mx-reply>`) is skipped: the person it quotes is not named by the reply."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[_Link] = []
        self._text: list[str] = []
        self._in_reply = 0
        self._open: tuple[str | None, int, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mx-reply":
            self._in_reply += 1
            self._open = None
        elif tag == "a" and not self._in_reply and len(self.links) < _MAX_LINKS:
            href = dict(attrs).get("href") or ""
            self._open = (user_id_of_link(href), len(self._text), [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "mx-reply":
            self._in_reply = max(0, self._in_reply - 1)
        elif tag == "a" and self._open is not None:
            user_id, before, words = self._open
            self._open = None
            text = "".join(words).strip()
            if user_id and text:
                earlier = "".join(self._text[:before]).count(text)
                self.links.append(_Link(text, user_id, earlier))

    def handle_data(self, data: str) -> None:
        if self._in_reply:
            return
        self._text.append(data)
        if self._open is not None:
            self._open[2].append(data)


def _user_links(formatted_body: str) -> list[_Link]:
    reader = _LinkReader()
    try:
        reader.feed(formatted_body)
        reader.close()
    except (AssertionError, ValueError):  # markup the parser gives up on names nobody
        return []
    return reader.links


def _free_places(body: str, text: str, taken: Sequence[Pill]) -> list[tuple[int, int]]:
    """Where `text` stands as whole words in `body`, outside the pills already placed."""
    pattern = re.compile(rf"(?<!\w){re.escape(text)}(?!\w)")
    return [
        (m.start(), m.end())
        for m in pattern.finditer(body)
        if not any(m.start() < p.end and p.start < m.end() for p in taken)
    ]


def pills_in(
    body: str,
    formatted_body: str | None,
    mentioned: Sequence[str],
    display_name: Callable[[str], str],
) -> tuple[Pill, ...]:
    """The pills of a message, in the order of its plain body.

    Each user link of the HTML body is found in the plain body by its text; a person named in
    `mentioned` (`m.mentions`) with no link is found by their `display_name`, as clients that
    send no HTML write them. Text that is not in the plain body as whole words names nobody.
    `body` and `formatted_body` must be without a reply's fallback, which quotes someone else.
    """
    pills: list[Pill] = []
    for link in _user_links(formatted_body) if formatted_body else []:
        places = _free_places(body, link.text, pills)
        if places:
            start, end = places[min(link.earlier, len(places) - 1)]
            pills.append(Pill(start, end, link.user_id))
    linked = {pill.user_id for pill in pills}
    for user_id in mentioned:
        if user_id in linked or not _is_user_id(user_id):
            continue
        name = display_name(user_id).strip()
        places = _free_places(body, name, pills) if name else []
        if places:
            pills.append(Pill(*places[0], user_id))
    return tuple(sorted(pills, key=lambda pill: pill.start))


# -- names typed by hand -------------------------------------------------------------------------

# A name longer than this many words is not looked for: the rest of a command is its text.
MAX_NAME_WORDS = 8


@dataclass(frozen=True)
class MemberName:
    """Someone who sits in one of the assembly's rooms, and the names they go by: their display
    name, that name without a center at its end (as the bot shows it), and their center."""

    user_id: str
    display_name: str
    name: str
    center: str

    def is_called(self, typed: str) -> bool:
        """Whether `typed` (already `_key`ed) is this person's name, with or without the
        center: "carol", "Carol (US)", "CAROL (us)"."""
        names = (self.display_name, self.name, f"{self.name} ({self.center})")
        return typed in {_key(name) for name in names}


def _key(name: str) -> str:
    """A name as it is compared: any case, any accents, any spacing."""
    return " ".join(plain(name).split())


@dataclass(frozen=True)
class NameMatch:
    """Who the first `words` words name: one person, several, or nobody (`words` is 0)."""

    people: tuple[MemberName, ...]
    words: int


def match_name(words: Sequence[str], members: Sequence[MemberName], *, whole: bool) -> NameMatch:
    """The members that `words` name. With `whole`, all the words are the name; otherwise the
    name is the longest run of first words that names anyone, and the rest is other text.
    An "@" before the name ("@Carol", typed without picking anyone) is no part of it."""
    if not words:
        return NameMatch((), 0)
    lengths = [len(words)] if whole else range(min(len(words), MAX_NAME_WORDS), 0, -1)
    for length in lengths:
        typed = _key(" ".join(words[:length]).removeprefix("@"))
        people = tuple(member for member in members if typed and member.is_called(typed))
        if people:
            return NameMatch(people, length)
    return NameMatch((), 0)
