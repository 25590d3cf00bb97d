"""The center beside every name: whoever a message names, both rooms read which side they are
on ("Carol (US)"), in every message the catalogs hold and at every place the bot names someone.

Two checks, one on each side of the wording. The catalogs: every placeholder is known to take a
person or not, and every message that takes one, worded with a person, shows their center right
after their name (a `Name` carries its center, or the message places it: "{name} ({center})").
The code: every `Name` the bot makes says its center, unless it goes straight into a message
that places the center itself.
"""

from __future__ import annotations

import ast
import string
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.domain.messages import Msg, Name
from bot.domain.names import FSI, PDI
from bot.i18n import Catalogs
from bot.storage.database import Database
from tests.harness.fakes import Clock, Scheduler
from tests.harness.reading import as_read
from tests.unit.test_meetings_commands import BETO, CAROL, EN, ES, World, build_world

CATALOGS = Catalogs.load_default()
ROOT = Path(__file__).resolve().parents[2]

# Placeholders that take a person, or a list of people ("Ana (US), Beto (MX)").
PERSONS = {"person", "name", "by", "owner", "author", "next", "chairs", "names", "people"}
# Every other placeholder, and why it names nobody (or nobody with a center).
NOT_PERSONS = {
    "user": "the Matrix id of someone who sits in none of the assembly's rooms",
    "user_id": "a Matrix id, shown after the person's name",
    "candidates": "messages that each name a person (error.person_candidate)",
    "typed": "the words someone typed for a name nobody or several people have",
    "word": "the word that asks !help for a group",
    "center": "a center",
    "centers": "centers",
    "head": "the first of a list's items",
    "tail": "the rest of a list's items",
    "winners": "a poll's winning options",
    "html": "a minutes file's name",
    "markdown": "a minutes file's name",
    "note": "words a person wrote on a commitment",
    "outcome": "a poll's outcome",
    "overdue": "a count of overdue commitments",
    "since": "a date",
    "until": "a date",
    "zone": "a time zone",
    "url": "the meeting board's address",
    "secret": "whether a poll is secret",
    # Numbers, times, titles, commands, words people wrote: no person in them.
    **dict.fromkeys(
        (
            "aliases", "answer", "answers", "assembly", "ballot", "before", "command",
            "commands", "count", "counts", "date", "day", "denominator", "description", "due",
            "duration", "elapsed", "entry", "example", "first", "fix", "floor", "grace",
            "group", "help", "high", "hours", "id", "item", "kind", "label", "language", "last",
            "length", "limit", "line", "low", "max", "meeting", "min", "minutes", "nearest",
            "number", "opens", "option", "original", "other", "policy", "polls", "position",
            "prefix", "present", "question", "quorum", "reached", "reason", "reference",
            "remaining", "reminders", "repeat", "room", "rule", "seconds", "setting", "share",
            "source", "spoken", "summary", "target", "term", "terms", "text", "time", "timebox",
            "times", "timezone", "title", "took", "translation", "turns", "uptime", "usage",
            "value", "version", "vote", "voted", "wait", "when", "where", "words",
        ),
        "not a person",
    ),
}


def placeholders(template: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def messages() -> Iterator[tuple[str, str, str]]:
    for language in CATALOGS.languages:
        for key in sorted(CATALOGS.keys(language)):
            yield language, key, CATALOGS.template(language, key)


def test_every_placeholder_is_known_to_take_a_person_or_not() -> None:
    used = {field for _, _, template in messages() for field in placeholders(template)}
    assert PERSONS.isdisjoint(NOT_PERSONS)
    assert used - PERSONS - set(NOT_PERSONS) == set()
    assert (PERSONS | set(NOT_PERSONS)) - used == set()


def places_the_center(template: str, field: str) -> bool:
    """The message itself shows the center after the name: "{name} ({center})"."""
    return f"{{{field}}} ({{center}})" in template


def test_every_message_that_takes_a_person_shows_their_center_beside_their_name() -> None:
    """Worded with Carol of the US center, each such message reads "Carol (US)" wherever it
    names her, once, and never "Carol (US) (US)"."""
    taking = 0
    for language, key, template in messages():
        fields = placeholders(template)
        persons = [field for field in fields if field in PERSONS]
        if not persons:
            continue
        taking += 1
        values: dict[str, object] = dict.fromkeys(fields, "x")
        values["center"] = "US"
        for field in persons:
            center = None if places_the_center(template, field) else "US"
            values[field] = Name("Carol", center=center)
        text = CATALOGS.text(language, Msg(key, values))
        assert as_read(text).count("Carol (US)") == len(persons), (language, key, text)
        assert "(US) (US)" not in text, (language, key, text)
        # The center stands outside the name's isolation, which stays around the name alone.
        assert f"{FSI}Carol{PDI} (US)" in text, (language, key, text)
    assert taking >= 120


def test_a_name_with_its_center_in_html_keeps_the_name_isolated_and_bold() -> None:
    message = Msg.of("stack.floor", person=Name("<b>Ana</b>", center="MX"))
    assert str(CATALOGS.html("es", message)) == (
        "<b><bdi>&lt;b&gt;Ana&lt;/b&gt;</bdi></b> (MX) tiene la palabra."
    )


# -- the code --------------------------------------------------------------------------------

# Names the bot still makes without their center, each with the message it goes into.
KNOWN_WITHOUT_CENTER = {
    ("bot/render/mirror.py", 'Name(text.interpreter or "", bold=False)'): (
        "mirror.interpreted_by: the interpreter in a copy's label"
    ),
    ("bot/render/minutes.py", "Name(interpreter)"): (
        "minutes.interpreted, minutes.interpreted_short: the interpreter of a message"
    ),
    ("bot/render/minutes.py", "Name(said.name)"): "minutes.interpreter_row",
    ("bot/render/minutes.py", "Name(dissent.name)"): (
        "minutes.block, minutes.stand_aside: the message places the center"
    ),
}


def _without_center(path: Path) -> Iterator[tuple[str, str]]:
    """Each `Name(...)` in the module that says no center, unless it is the `name` of a
    message (`Msg.of("key", name=Name(...))`) whose template places the center itself."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Name"):
            continue
        if len(node.args) >= 3 or any(k.arg == "center" for k in node.keywords):
            continue
        keyword, call = parents.get(node), parents.get(parents.get(node))  # type: ignore[arg-type]
        if isinstance(keyword, ast.keyword) and isinstance(call, ast.Call) and call.args:
            key = call.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                template = CATALOGS.template("en", key.value)
                if keyword.arg and places_the_center(template, keyword.arg):
                    continue
        yield str(path.relative_to(ROOT)), ast.get_source_segment(source, node) or ""


def test_every_name_the_bot_makes_says_its_center() -> None:
    modules = [*sorted((ROOT / "bot").rglob("*.py")), *sorted((ROOT / "commands").rglob("*.py"))]
    found = {where for path in modules for where in _without_center(path)}
    assert found == set(KNOWN_WITHOUT_CENTER)


# -- the meeting the findings came from --------------------------------------------------------


@pytest.fixture
async def world() -> AsyncIterator[World]:
    db = await Database.open(":memory:")
    try:
        yield await build_world(db, Clock(), Scheduler())
    finally:
        await db.close()


async def test_owners_authors_and_chairs_are_named_with_their_center_in_both_rooms(
    world: World,
) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    await world.say(CAROL, EN, "!chair @beto:test")
    assert world.said_in(ES)[-1] == "Beto (MX) ahora modera esta reunión."

    await world.say(CAROL, EN, "!item Budget 10m @carol:test")
    assert world.said_in(EN)[-1] == "Added to the agenda: 1. Budget (10 min; owner: Carol (US))"
    assert world.said_in(ES)[-1].endswith("(10 min; responsable: Carol (US))")

    await world.say(CAROL, EN, "!action @carol:test book the hall")
    assert world.said_in(EN)[-1].splitlines()[0] == "Action item #1 for Carol (US): book the hall"
    assert world.said_in(ES)[-1].startswith("Carol (US): Tarea #1 para Carol (US): ")

    await world.say(BETO, ES, "!acuerdo Nos vemos el jueves")
    await world.say(BETO, ES, "!acuerdo Nos vemos el viernes")
    await world.say(BETO, ES, "!deshacer")
    assert world.said_in(EN)[-1].startswith("Beto (MX) undid agreement #2 (")

    await world.say(BETO, ES, '!programar mañana 18:00 "Asamblea de abril"')
    assert world.said_in(EN)[-1].startswith("Beto (MX): Scheduled: #1")

    await world.say(BETO, ES, "!pausar")
    assert world.said_in(EN)[-1].startswith("Beto (MX) paused mirroring")
