"""People's names as the bot shows them.

A display name is whatever its holder typed. Three things keep it honest:

- `clean_name` leaves out every control and format character: a line break would forge a second
  line in a copy, and a direction mark or override would turn the words after it around;
- `told_apart` adds, to names that read alike, the part of each Matrix id that differs
  ("Ana [@ana]", "Ana [@mallory]"), so nobody passes for somebody else;
- `isolate` wraps a name placed in a plain text in FSI … PDI, so a right-to-left name stays
  inside its own span and cannot reorder the label around it (HTML uses <bdi> instead).

`ShownNames` reads the names of everyone in an assembly's rooms and shows each told apart; the
services (`bot.services.people.People`) and delivery's pings share it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from bot.domain.assembly import Assembly
from bot.domain.membership import Membership

FSI = "\u2068"  # FIRST STRONG ISOLATE: the name takes the direction of its own first letter
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE: and the text after it is back to its own

# Zero-width (non-)joiners are format characters too, but emoji sequences ("👩‍💻") and scripts
# such as Persian need them, and they neither break a line nor change direction.
_JOINERS = frozenset("\u200c\u200d")
_DIRECTION_MARKS = "\u200e\u200f"
# Line and paragraph separators and control characters that are whitespace (newline, tab…)
# become a space; every other control or format character goes.
_BREAKS = frozenset(("Zl", "Zp"))
_DROPPED = frozenset(("Cc", "Cf", "Cs"))
# The tag `told_apart` adds; written by a person, it is read off their name.
_TAG = re.compile(r"\s*\[@[^\[\]]*\]$")


def clean_name(name: str) -> str:
    """The name without control or format characters, its spaces collapsed."""
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if char in _JOINERS:
            kept.append(char)
        elif category in _BREAKS or (category == "Cc" and char.isspace()):
            kept.append(" ")
        elif category not in _DROPPED:
            kept.append(char)
    return " ".join("".join(kept).split())


def isolate(name: str) -> str:
    """The name as placed in a plain text: cleaned, and isolated from the words around it."""
    return f"{FSI}{clean_name(name)}{PDI}"


def without_center(name: str, centers: Sequence[str]) -> str:
    """A name that already ends in a center ("Ana (US)") loses that ending, since the bot
    shows the center beside it and it would read "Ana (US) (US)"."""
    for center in centers:
        ending = f"({center})"
        if name.casefold().endswith(ending.casefold()) and len(name) > len(ending):
            return name[: -len(ending)].rstrip() or name
    return name


def bare_name(name: str, centers: Sequence[str] = ()) -> str:
    """The name cleaned, without the centers and tags it ends in ("Ana [@ana] (US)" is
    "Ana"); empty when nothing else is left."""
    bare = clean_name(name)
    while True:
        shorter = _TAG.sub("", without_center(bare, centers))
        if shorter == bare:
            return bare
        bare = shorter


def told_apart(names: Mapping[str, str]) -> dict[str, str]:
    """Each person's name (user id → name), tagged with the part of their id that differs
    where it reads like somebody else's: the localpart ("Ana [@ana]"), or the whole id when
    the localparts are equal too ("Ana [@ana:b.org]"). Names read alike when they are equal
    but for case, width, control characters and letters of another script shaped like Latin
    ones. Someone shown by their own id needs no tag."""
    bare = {user: bare_name(name) or user for user, name in names.items()}
    alike: dict[str, list[str]] = defaultdict(list)
    for user, name in bare.items():
        alike[_key(name)].append(user)
    shown = {}
    for users in alike.values():
        for user in users:
            name = bare[user]
            if len(users) == 1 or name == user:
                shown[user] = name
            else:
                shown[user] = f"{name} [{_differing_part(user, users)}]"
    return shown


def _key(name: str) -> str:
    """What a name reads as: the same letters whatever their case or width, or the script that
    lends them their shape (Cyrillic "а" reads as Latin "a"), joiners aside."""
    shapes = _latin_shapes()
    shaped = "".join(shapes.get(c, c) for c in unicodedata.normalize("NFKC", name))
    return "".join(c for c in shaped.casefold() if c not in _JOINERS)


@functools.cache
def _latin_shapes() -> dict[str, str]:
    """Each letter of another script that Unicode lists as confusable with a Latin letter
    (`confusable_homoglyphs`, from Unicode's confusables), mapped to that letter. Latin letters
    that read like each other ("I" and "l") are left alone: a name is only ever compared with
    the names around it, and those are told apart by the id whenever they read alike."""
    from confusable_homoglyphs.confusables import confusables_data

    shapes: dict[str, str] = {}
    for char, alike in confusables_data.items():
        if len(char) != 1 or char.isascii() or not char.isalpha():
            continue
        latin = sorted(
            letter
            for glyph in alike
            if len(letter := glyph["c"].strip(_DIRECTION_MARKS)) == 1
            and letter.isascii()
            and letter.isalpha()
        )
        if latin:
            shapes[char] = latin[0]
    return shapes


def _localpart(user_id: str) -> str:
    return user_id.split(":", 1)[0]


def _differing_part(user_id: str, alike: Sequence[str]) -> str:
    local = _localpart(user_id)
    same = [u for u in alike if _localpart(u).casefold() == local.casefold()]
    return local if len(same) == 1 else user_id


class ShownNames:
    """The names of an assembly's people as the bot shows them, read from who sits where."""

    def __init__(self, membership: Membership) -> None:
        self._membership = membership
        # Per assembly: the display names last seen, and the names shown for them.
        self._shown: dict[str, tuple[tuple[tuple[str, str], ...], dict[str, str]]] = {}

    def display_name(self, assembly: Assembly, user_id: str) -> str:
        """The person's name as the bot shows it, beside their center: cleaned of control
        characters; without a center it already ends in, so it never reads "Ana (US) (US)";
        and, when it reads like the name of someone else in the assembly's rooms, with the
        part of their id that differs ("Ana [@ana]"). Someone in no room goes by their id."""
        return self.display_names(assembly, (user_id,))[user_id]

    def display_names(self, assembly: Assembly, users: Iterable[str]) -> dict[str, str]:
        """Several people's names at once (a poll's voters), the rooms read once."""
        wanted = list(users)
        shown = self._told_apart(assembly, self._seated(assembly, wanted))
        return {user: shown.get(user, user) for user in wanted}

    def bare_name(self, assembly: Assembly, user_id: str) -> str:
        """The person's name as they wrote it, cleaned and without its center, as it appears
        in other people's words (a mention): never told apart."""
        name = self._seated(assembly, (user_id,)).get(user_id)
        return (bare_name(name, assembly.centers) if name else "") or user_id

    def _seated(self, assembly: Assembly, wanted: Sequence[str]) -> dict[str, str]:
        """Everyone in the assembly's rooms by their display name in the first room they sit
        in; with those of `wanted` whom `members` leaves out although seated (the bot)."""
        names: dict[str, str] = {}
        for room in assembly.rooms:
            here = dict.fromkeys(self._membership.members(room.room_id))
            for user in wanted:
                if user not in here and self._membership.is_member(room.room_id, user):
                    here[user] = None
            for user in here:
                if user not in names:
                    names[user] = self._membership.display_name(room.room_id, user)
        return names

    def _told_apart(self, assembly: Assembly, seated: dict[str, str]) -> dict[str, str]:
        """Telling names apart reads every name of the assembly, so the answer is kept until
        one of them changes: a poll's result or the stack names many people at once."""
        seen = tuple(seated.items())
        kept = self._shown.get(assembly.name)
        if kept is not None and kept[0] == seen:
            return kept[1]
        centers = assembly.centers
        shown = told_apart({user: bare_name(name, centers) or user for user, name in seen})
        self._shown[assembly.name] = (seen, shown)
        return shown
