"""Commands are declared, not parsed by hand.

A handler method carries a `CommandSpec` (names in both languages, parameters, the `Role` it
needs). The router reads the specs to dispatch, check permissions and convert arguments, and the
help command reads the same specs, so help can never drift from what the bot accepts.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain.authority import Role
from bot.domain.fair_use import REPLIES
from bot.framework.errors import CommandError, UsageError

Converter = Callable[[str], Any]


def _not_a_number(word: str) -> CommandError:
    return UsageError("error.expected_number", value=word)


def read_number(
    word: str, *, minimum: int = 0, refuse: Callable[[str], CommandError] = _not_a_number
) -> int:
    """`3`, or `#3` as the bot shows polls and log entries; `refuse` makes the error for
    anything else (by default a usage error: "“x” is not a number")."""
    text = word.strip().removeprefix("#")
    if not (text.isascii() and text.isdigit()) or int(text) < minimum:
        raise refuse(word)
    return int(text)


def to_number(word: str) -> int:
    """The converter of a numbered argument: an agenda item, a log entry, a schedule."""
    return read_number(word)


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?:in)?)?(?:(\d+)s)?$")


def to_duration_seconds(word: str) -> int:
    """`10m`, `1h30m`, `90s`, or a bare number of minutes."""
    text = word.strip().lower()
    if text.isdigit():
        return int(text) * 60
    match = _DURATION.match(text)
    if not text or not match or not any(match.groups()):
        raise UsageError("error.expected_duration", value=word)
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0 or total > 24 * 3600:
        raise UsageError("error.expected_duration", value=word)
    return total


_USER_ID = re.compile(r"^@[^:\s]+:\S+$")


def to_user_id(word: str) -> str:
    if not _USER_ID.match(word):
        raise UsageError("error.expected_user", value=word)
    return word


@dataclass(frozen=True)
class Param:
    """One argument. `rest` takes every remaining word as one text; `optional` may be absent.

    `rest` with `words` keeps the remaining words apart (a tuple), so quoted groups survive:
    `!poll "Lunch?" "Pizza al taglio" "Tacos"` needs its options one by one.
    """

    name: str
    convert: Converter = str
    optional: bool = False
    rest: bool = False
    words: bool = False


@dataclass(frozen=True)
class CommandSpec:
    name: str
    name_es: str
    params: tuple[Param, ...] = ()
    needs: Role = Role.ANYONE
    aliases: tuple[str, ...] = ()
    group: str = "general"
    # What running it costs of the sender's budget (bot.domain.fair_use): ANNOUNCES for a
    # command that makes the bot speak in every room, REPLIES for an answer in one room.
    cost: float = REPLIES
    # Also taken in a person's direct chat with the bot (where secret ballots are voted).
    private: bool = False

    @property
    def help_key(self) -> str:
        return f"cmd.{self.name}.help"

    def names(self) -> tuple[str, ...]:
        return (self.name, self.name_es, *self.aliases)

    def name_in(self, language: str) -> str:
        return self.name_es if language == "es" else self.name

    def convert(self, words: Sequence[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        remaining = list(words)
        for param in self.params:
            if param.rest:
                if remaining:
                    if param.words:
                        values[param.name] = tuple(remaining)
                    else:
                        values[param.name] = param.convert(" ".join(remaining))
                    remaining = []
                elif not param.optional:
                    raise UsageError("error.usage")
                continue
            if not remaining:
                if not param.optional:
                    raise UsageError("error.usage")
                continue
            values[param.name] = param.convert(remaining.pop(0))
        if remaining:
            raise UsageError("error.usage")
        return values


Handler = Callable[..., Awaitable[Any]]

_SPEC_ATTRIBUTE = "__asamblea_command__"


def command(
    name: str,
    name_es: str,
    *params: Param,
    needs: Role = Role.ANYONE,
    aliases: Sequence[str] = (),
    cost: float = REPLIES,
    private: bool = False,
) -> Callable[[Handler], Handler]:
    """Declare a handler method of a command group."""

    def mark(handler: Handler) -> Handler:
        setattr(
            handler,
            _SPEC_ATTRIBUTE,
            CommandSpec(
                name, name_es, tuple(params), needs, tuple(aliases), cost=cost, private=private
            ),
        )
        return handler

    return mark


@dataclass(frozen=True)
class BoundCommand:
    spec: CommandSpec
    handler: Handler
    group: str = field(default="general")


def commands_of(group: object) -> list[BoundCommand]:
    """The declared commands of one command-group object, in declaration order."""
    found = []
    group_name = getattr(group, "group_name", type(group).__name__)
    for attribute in type(group).__dict__.values():
        spec = getattr(attribute, _SPEC_ATTRIBUTE, None)
        if spec is not None:
            bound = attribute.__get__(group, type(group))
            found.append(BoundCommand(spec, bound, group_name))
    return found
