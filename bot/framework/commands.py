"""Commands are declared, not parsed by hand; a command group declares itself once.

A command group is a class in `commands/<group>.py` that subclasses `CommandGroup`:

- `group_name` names the group (its catalog keys), and `help_names` the English and Spanish
  words that ask `!help` for it (`!help stack`, `!ayuda turnos`);
- each handler method carries `@command(...)`: names in both languages, parameters, the `Role`
  it needs, what it costs, whether it is also taken in a direct chat;
- `hooks()` lists what the group brings besides commands (`GroupHooks`): services for events
  that are not commands (a ✋ reaction, a poll response), lines in `!status`, steps run at
  start-up, loops run beside the sync loop.

`bot/app.py` constructs each group and registers it with one call (`Core.install`): the router
reads the specs to dispatch, check permissions and convert arguments, and the help command reads
the same specs, so help can never drift from what the bot accepts.

Catalog keys are derived by one rule, and each must exist in every catalog
(`bot/i18n/locales/{en,es}/*.po`; tests/unit/test_catalogs.py checks every declared command):

- `cmd.<name>.help`: the one-line description of command `<name>` (its English name);
- `cmd.<name>.example`: for a command with parameters, one real example of its arguments
  (`"Lunch at noon?"`), shown after the command's name in `!help <command>` and under a usage
  error;
- `cmd.<name>.details`: for a command declared with `details=True`, what `!help <command>`
  adds to the one-line description (for commands with too much to say in one line);
- `param.<param>`: the label of parameter `<param>` in usage lines (shared by every command
  that has a parameter of that name);
- `group.<group_name>`: the heading of the group in `!help`, and `group.<group_name>.summary`
  its one-line summary there.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bot.domain.assembly import Assembly, PrivateRoom
from bot.domain.authority import Role
from bot.domain.durations import to_duration_seconds as to_duration_seconds  # a converter
from bot.domain.events import IncomingEvent
from bot.domain.fair_use import REPLIES
from bot.domain.messages import Msg
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

    @property
    def label_key(self) -> str:
        return f"param.{self.name}"


@dataclass(frozen=True)
class CommandSpec:
    name: str
    name_es: str
    params: tuple[Param, ...] = ()
    needs: Role = Role.ANYONE
    aliases: tuple[str, ...] = ()
    # What running it costs of the sender's budget (bot.domain.fair_use): ANNOUNCES for a
    # command that makes the bot speak in every room, REPLIES for an answer in one room.
    cost: float = REPLIES
    # Also taken in a person's direct chat with the bot (where secret ballots are voted).
    private: bool = False
    # `!help <command>` adds a longer explanation (`cmd.<name>.details`).
    details: bool = False

    @property
    def help_key(self) -> str:
        return f"cmd.{self.name}.help"

    @property
    def example_key(self) -> str | None:
        """Every command with parameters has one example of its arguments."""
        return f"cmd.{self.name}.example" if self.params else None

    @property
    def details_key(self) -> str | None:
        return f"cmd.{self.name}.details" if self.details else None

    def catalog_keys(self, group_name: str) -> tuple[str, ...]:
        """Every key the rule above derives for this command in group `group_name`."""
        labels = (param.label_key for param in self.params)
        extra = tuple(key for key in (self.example_key, self.details_key) if key)
        return (self.help_key, *extra, *labels, heading_key(group_name), summary_key(group_name))

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


def heading_key(group_name: str) -> str:
    return f"group.{group_name}"


def summary_key(group_name: str) -> str:
    return f"group.{group_name}.summary"


@dataclass(frozen=True)
class GroupSpec:
    """A command group as `!help` shows it: its catalog name and the words that ask for it."""

    name: str
    help_name: str
    help_name_es: str

    @property
    def heading_key(self) -> str:
        return heading_key(self.name)

    @property
    def summary_key(self) -> str:
        return summary_key(self.name)

    def names(self) -> tuple[str, str]:
        return (self.help_name, self.help_name_es)

    def name_in(self, language: str) -> str:
        return self.help_name_es if language == "es" else self.help_name


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
    details: bool = False,
) -> Callable[[Handler], Handler]:
    """Declare a handler method of a command group."""

    def mark(handler: Handler) -> Handler:
        spec = CommandSpec(
            name,
            name_es,
            tuple(params),
            needs,
            tuple(aliases),
            cost=cost,
            private=private,
            details=details,
        )
        setattr(handler, _SPEC_ATTRIBUTE, spec)
        return handler

    return mark


@dataclass(frozen=True)
class BoundCommand:
    spec: CommandSpec
    handler: Handler
    group: GroupSpec = field(default_factory=lambda: GroupSpec("general", "general", "general"))


# A service for events that are not commands; runs inside the handling transaction.
EventService = Callable[[IncomingEvent], Awaitable[None]]
# Which events an `EventService` takes.
Wants = Callable[[IncomingEvent], bool]
# Told who spoke, where (for attendance).
SpeechObserver = Callable[[Assembly, str, str], Awaitable[None]]
# A feature's lines in `!status` (for example whether mirroring is paused).
StatusSection = Callable[[Assembly], Awaitable[list[Msg]]]


@dataclass(frozen=True)
class GroupHooks:
    """What a command group brings besides its commands; each part goes to one taker."""

    # Events that are not commands, in assembly rooms: the first service that wants one gets it
    # (groups are asked in the order they are installed).
    events: tuple[tuple[Wants, EventService], ...] = ()
    # How to tell a person's direct chat with the bot, and the services for events there.
    private_room: Callable[[str], PrivateRoom | None] | None = None
    private_events: tuple[tuple[Wants, EventService], ...] = ()
    # Told of every message a person sends in an assembly room, command or not.
    speech: tuple[SpeechObserver, ...] = ()
    status: tuple[StatusSection, ...] = ()
    # Run after login and before serving (timers are rebuilt from the database here).
    restore: tuple[Callable[[], Awaitable[None]], ...] = ()
    # Loops that run beside the sync loop until stop.
    background: tuple[Callable[[asyncio.Event], Awaitable[None]], ...] = ()


class CommandGroup:
    """Related commands and the services they share; see this module's docstring."""

    group_name: ClassVar[str]
    # What to type after `!help` / `!ayuda` for this group, in English and in Spanish. A word
    # that also names a command shows the group, so it may only be the name of a command of
    # this group that takes no arguments (the group's list already says all there is of it).
    help_names: ClassVar[tuple[str, str]]

    def hooks(self) -> GroupHooks:
        return GroupHooks()


def declared_specs(group_type: type) -> Iterator[tuple[str, CommandSpec]]:
    """The declared commands of a command-group class, in declaration order (attribute name,
    spec)."""
    for attribute_name, attribute in vars(group_type).items():
        spec = getattr(attribute, _SPEC_ATTRIBUTE, None)
        if spec is not None:
            yield attribute_name, spec


def group_spec(group: object) -> GroupSpec:
    name = getattr(group, "group_name", type(group).__name__)
    return GroupSpec(name, *getattr(group, "help_names", (name, name)))


def commands_of(group: object) -> list[BoundCommand]:
    """The declared commands of one command-group object, in declaration order."""
    spec_of_group = group_spec(group)
    return [
        BoundCommand(spec, getattr(group, attribute_name), spec_of_group)
        for attribute_name, spec in declared_specs(type(group))
    ]
