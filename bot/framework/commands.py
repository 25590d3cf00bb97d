"""Commands are declared, not parsed by hand; a command group declares itself once.

A command group is a class in `commands/<group>.py` that subclasses `CommandGroup`:

- `group_name` names the group (its catalog keys), and `help_names` the English and Spanish
  words that ask `!help` for it (`!help stack`, `!ayuda turnos`);
- each handler method carries `@command(...)`: names in both languages, parameters, the `Role`
  it needs, what it costs, whether it is also taken in a direct chat, the other words people
  use for it in each language (`aliases`, `aliases_es`: `!palabra`, `!pido la palabra`), and
  words that may mean it or another command (`hints`: `!queue`);
- what a capability brings besides commands (the events it takes, lines in `!status`, steps
  at start-up, loops beside the sync loop) its feature declares (`bot/framework/feature.py`).

Each feature in `bot/features/` constructs its groups, and `Core.install` registers them: the router
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

import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bot.domain.authority import Authority, Role, open_to_members
from bot.domain.durations import to_duration_seconds as to_duration_seconds  # a converter
from bot.domain.fair_use import REPLIES
from bot.domain.mentions import MAX_NAME_WORDS, MemberName, NameMatch, match_name
from bot.domain.messages import Code, Msg
from bot.framework.errors import CommandError, UsageError
from bot.framework.parsing import Mention
from bot.render.meetings import listing, person

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

# The assembly's members, asked for only when a command names someone by a name.
Roster = Callable[[], Sequence[MemberName]]


def no_one() -> Sequence[MemberName]:
    return ()


@dataclass(frozen=True)
class Reads:
    """A converter that reads its own words from the remaining ones, as many as it needs (a
    person's name may have several), knowing who the assembly's members are. `read(words,
    roster, whole)` returns the value and how many words it took; with `whole` it is the last
    argument and should take them all."""

    read: Callable[[Sequence[str], Roster, bool], tuple[Any, int]]


def read_person(words: Sequence[str], roster: Roster, *, whole: bool) -> tuple[str, int]:
    """The one reader of a person, for every command: a pill (`Mention`), a Matrix id
    (`@ana:example.org`), or a name only one member of the assembly has, in any case, with or
    without accents and center ("ana", "Ana (US)"). Returns the user id and the words taken.
    A name several members have is refused with their names and ids; a name nobody has, with
    how to name someone."""
    pointed = _pointed(words[0])
    if pointed is not None:
        return pointed, 1
    found = match_name(words, roster(), whole=whole)
    if not found.people:
        raise UsageError("error.person_unknown", typed=" ".join(words) if whole else words[0])
    return _one(words, found), found.words


def person_at_end(words: Sequence[str], roster: Roster) -> tuple[str, int] | None:
    """The person the last words name, where a person is optional among other text (an agenda
    item's owner): only a pill, a Matrix id, or "@" and a name ("@Ana (US)") count; None when
    there is none, or when the name is nobody's (those words are then text like any other).
    A name several members have is refused as `read_person` refuses it."""
    pointed = _pointed(words[-1]) if words else None
    if pointed is not None:
        return pointed, 1
    for start in range(len(words) - 1, max(-1, len(words) - 1 - MAX_NAME_WORDS), -1):
        if words[start].startswith("@"):
            return _marked_name(words[start:], roster, whole=True)
    return None


def person_at_start(words: Sequence[str], roster: Roster) -> tuple[str, int] | None:
    """As `person_at_end`, for the first words."""
    pointed = _pointed(words[0]) if words else None
    if pointed is not None:
        return pointed, 1
    if words and words[0].startswith("@"):
        return _marked_name(words, roster, whole=False)
    return None


def _pointed(word: str) -> str | None:
    """The person a word points to without any name: a pill's, or a Matrix id."""
    if isinstance(word, Mention):
        return word.user_id
    return word if _USER_ID.match(word) else None


def _marked_name(words: Sequence[str], roster: Roster, *, whole: bool) -> tuple[str, int] | None:
    found = match_name(words, roster(), whole=whole)
    return (_one(words, found), found.words) if found.people else None


def _one(words: Sequence[str], found: NameMatch) -> str:
    if len(found.people) > 1:
        raise ambiguous(" ".join(words[: found.words]), found.people)
    return found.people[0].user_id


def ambiguous(name: str, people: Sequence[MemberName]) -> CommandError:
    candidates = [
        Msg.of("error.person_candidate", person=person(p.name, p.center), user_id=Code(p.user_id))
        for p in people
    ]
    return CommandError("error.person_ambiguous", typed=name, candidates=listing(candidates))


def _read_person(words: Sequence[str], roster: Roster, whole: bool) -> tuple[str, int]:
    return read_person(words, roster, whole=whole)


to_person = Reads(_read_person)


@dataclass(frozen=True)
class Param:
    """One argument. `rest` takes every remaining word as one text; `optional` may be absent.

    `rest` with `words` keeps the remaining words apart (a tuple), so quoted groups survive:
    `!poll "Lunch?" "Pizza al taglio" "Tacos"` needs its options one by one.
    """

    name: str
    convert: Converter | Reads = str
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
    # Other words for it, English (or neither language's: `q+`) and Spanish: what people type
    # in a meeting (`!raise`, `!palabra`), a phrase of several words too (`!pido la palabra`).
    # Taken in every room; `!help <command>` shows a room its own language's.
    aliases: tuple[str, ...] = ()
    aliases_es: tuple[str, ...] = ()
    # Words that may mean this command or another (`!queue`: raise a hand, or see the stack?):
    # never run, answered with every command that declares the word.
    hints: tuple[str, ...] = ()
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
        return (self.name, self.name_es, *self.aliases, *self.aliases_es)

    def name_in(self, language: str) -> str:
        return self.name_es if language == "es" else self.name

    def aliases_in(self, language: str) -> tuple[str, ...]:
        return self.aliases_es if language == "es" else self.aliases

    def convert(self, words: Sequence[str], roster: Roster = no_one) -> dict[str, Any]:
        """The handler's arguments, by name; `roster` is asked only when someone is named by
        a name."""
        values: dict[str, Any] = {}
        remaining = list(words)
        for index, param in enumerate(self.params):
            if not remaining:
                if not param.optional:
                    raise UsageError("error.usage")
                continue
            if isinstance(param.convert, Reads):
                whole = param.rest or index == len(self.params) - 1
                values[param.name], taken = param.convert.read(remaining, roster, whole)
                remaining = remaining[taken:]
            elif param.rest:
                text = " ".join(remaining)
                values[param.name] = tuple(remaining) if param.words else param.convert(text)
                remaining = []
            else:
                values[param.name] = param.convert(remaining.pop(0))
        if remaining:
            raise UsageError("error.usage")
        return values


def summary_line(spec: CommandSpec, prefix: str, language: str, authority: Authority) -> Msg:
    """The command's line in `!help`: its name in the room's language, its other name, what
    it does, and whether only chairs may use it."""
    other = spec.name if language == "es" else spec.name_es
    key = "help.line" if open_to_members(spec.needs, authority) else "help.line_chair"
    return Msg.of(
        key,
        command=Code(prefix + spec.name_in(language)),
        other=Code(prefix + other),
        description=Msg.of(spec.help_key),
    )


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
    aliases_es: Sequence[str] = (),
    hints: Sequence[str] = (),
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
            tuple(aliases_es),
            tuple(hints),
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


class CommandGroup:
    """Related commands and the services they share; see this module's docstring."""

    group_name: ClassVar[str]
    # What to type after `!help` / `!ayuda` for this group, in English and in Spanish. A word
    # that also names a command shows the group, so it may only be the name of a command of
    # this group that takes no arguments (the group's list already says all there is of it).
    help_names: ClassVar[tuple[str, str]]


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
