"""The words people type in a meeting, in both languages: `!palabra` and `!pido la palabra` raise
a hand, `!queue` is answered with both commands it may mean, a typo is pointed to the right
command, and with no meeting open a member is told who may open one, never to open it.

alice and carol (the standing chair) sit in the English room (US); beto and dani in the Spanish
room (MX). Everything is answered in the room's language.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.domain.assembly import Assembly
from bot.domain.outcomes import Reply
from bot.features.core import Core
from bot.features.platform import assemblies_of
from bot.framework.parsing import parse_invocation
from bot.storage.database import Database
from tests.harness.fakes import Clock, Scheduler, Seats
from tests.harness.offline import CATALOGS, offline_core
from tests.harness.reading import as_read
from tests.unit.test_meetings_commands import (
    ALICE,
    ASSEMBLY,
    BETO,
    CAROL,
    DANI,
    EN,
    ES,
    SEATS,
    World,
    build_world,
    config_of,
)

README = Path(__file__).resolve().parents[2] / "README.md"


@dataclass(frozen=True)
class Reaches:
    """The typed words run this command (named as the room names it)."""

    command: str


@dataclass(frozen=True)
class Suggests:
    """The typed words run nothing; the answer points to these commands (as the room names
    them)."""

    commands: tuple[str, ...]


def suggests(*commands: str) -> Suggests:
    return Suggests(commands)


# What people type, in which room, and where it should take them.
WORDS: list[tuple[str, str, Reaches | Suggests]] = [
    # Asking for the floor.
    ("es", "!palabra", Reaches("!mano")),
    ("es", "!pido la palabra", Reaches("!mano")),
    ("es", "!Pido la Palabra", Reaches("!mano")),
    ("es", "!pido  palabra", Reaches("!mano")),
    ("es", "!turno", Reaches("!mano")),
    ("es", "!pido turno", Reaches("!mano")),
    ("es", "!quiero hablar", Reaches("!mano")),
    ("es", "!levanto la mano", Reaches("!mano")),
    ("en", "!raise", Reaches("!hand")),
    ("en", "!raise my hand", Reaches("!hand")),
    ("en", "!speak", Reaches("!hand")),
    ("en", "!hand up", Reaches("!hand")),
    ("en", "!q+", Reaches("!hand")),
    # Lowering it.
    ("en", "!lower my hand", Reaches("!lower")),
    ("en", "!q-", Reaches("!lower")),
    ("es", "!bajar la mano", Reaches("!bajar")),
    ("es", "!bajo la mano", Reaches("!bajar")),
    # Seeing the stack.
    ("en", "!q?", Reaches("!stack")),
    ("en", "!speakers", Reaches("!stack")),
    ("en", "!who is next", Reaches("!stack")),
    ("es", "!lista", Reaches("!turnos")),
    ("es", "!quién sigue", Reaches("!turnos")),
    ("es", "!quien sigue", Reaches("!turnos")),
    # Moving on: the next item, or the next speaker.
    ("en", "!next item", Reaches("!next")),
    ("es", "!siguiente punto", Reaches("!siguiente")),
    ("es", "!próximo punto", Reaches("!siguiente")),
    ("en", "!next speaker", Reaches("!call")),
    ("es", "!siguiente turno", Reaches("!llamar")),
    ("es", "!dar la palabra", Reaches("!llamar")),
    # Voting, ballots, results, minutes, help, status, roll call.
    ("es", "!voto sí", Reaches("!votar")),
    ("es", "!boleta", Reaches("!papeleta")),
    ("en", "!secret ballot", Reaches("!ballot")),
    ("en", "!tally", Reaches("!results")),
    ("es", "!conteo", Reaches("!resultados")),
    ("es", "!minuta", Reaches("!acta")),
    ("en", "!commands", Reaches("!help")),
    ("es", "!comandos", Reaches("!ayuda")),
    ("es", "!ayúdame", Reaches("!ayuda")),
    ("es", "!estatus", Reaches("!estado")),
    ("es", "!aquí", Reaches("!presente")),
    ("en", "!present", Reaches("!here")),
    ("en", "!note the hall seats 80", Reaches("!info")),
    # Words that may mean more than one command: every command they may mean.
    ("en", "!queue", suggests("!hand", "!stack")),
    ("en", "!q", suggests("!hand", "!stack")),
    ("es", "!cola", suggests("!mano", "!turnos")),
    ("es", "!fila", suggests("!mano", "!turnos")),
    ("es", "!próximo", suggests("!siguiente", "!llamar")),
    # An answer typed as a command: the vote, with an example.
    ("en", "!yes", suggests("!vote")),
    ("es", "!sí", suggests("!votar")),
    ("es", "!abstención", suggests("!votar")),
    # Typos.
    ("en", "!stak", suggests("!stack")),
    ("en", "!hnad", suggests("!hand")),
    ("es", "!mnao", suggests("!mano")),
    ("es", "!trunos", suggests("!turnos")),
    ("es", "!palbra", suggests("!mano")),
    ("en", "!hepl", suggests("!help")),
    ("es", "!ayda", suggests("!ayuda")),
    ("es", "!estdo", suggests("!estado")),
    ("en", "!minuts", suggests("!minutes")),
    ("es", "!actta", suggests("!acta")),
    ("es", "!lsito", suggests("!listo")),
    ("es", "!presnte", suggests("!presente")),
    ("es", "!resultdos", suggests("!resultados")),
    ("es", "!papelta", suggests("!papeleta")),
    ("es", "!votr", suggests("!votar")),
    ("en", "!lowr", suggests("!lower")),
]


@dataclass
class Router:
    core: Core
    assembly: Assembly

    async def answer(self, sender: str, language: str, body: str) -> Reply:
        """What the bot answers `sender` in the room of that language, as that room reads it."""
        room = next(r for r in self.assembly.rooms if r.language == language)
        outcomes = await self.core.router.route(
            body,
            event_id="$typed",
            sender=sender,
            sender_name=SEATS[room.room_id][sender],
            ts=1_700_000_000_000,
            assembly=self.assembly,
            room=room,
        )
        [answer] = outcomes or [None]
        assert isinstance(answer, Reply), (body, outcomes)
        return answer


@pytest.fixture
async def router() -> AsyncIterator[Router]:
    db = await Database.open(":memory:")
    try:
        raw = config_of(ASSEMBLY)
        config = parse_config(raw, base_dir=Path("."), environ={})
        [assembly] = assemblies_of(config, {EN: EN, ES: ES})
        yield Router(offline_core(db, raw, Seats(SEATS)), assembly)
    finally:
        await db.close()


def worded(answer: Reply, language: str) -> str:
    return as_read("\n".join(CATALOGS.text(language, line) for line in answer.lines))


@pytest.mark.parametrize(("language", "typed", "expected"), WORDS)
async def test_what_people_type_reaches_or_points_to_the_right_command(
    router: Router, language: str, typed: str, expected: Reaches | Suggests
) -> None:
    invocation = parse_invocation(typed, "!")
    assert invocation is not None
    bound, _ = router.core.router.lookup(invocation)
    member = DANI if language == "es" else ALICE
    if isinstance(expected, Reaches):
        assert bound is not None, typed
        assert "!" + bound.spec.name_in(language) == expected.command
        return
    assert bound is None, (typed, bound.spec.name if bound else None)
    answer = await router.answer(member, language, typed)
    text = worded(answer, language)
    assert answer.refused
    assert text.startswith("No conozco el comando" if language == "es" else "I don't know")
    for command in expected.commands:
        assert re.search(re.escape(command) + r"\b", text), (typed, command, text)


async def test_a_word_with_two_meanings_is_answered_with_both_in_the_rooms_language(
    router: Router,
) -> None:
    answer = await router.answer(DANI, "es", "!cola")
    assert worded(answer, "es").splitlines() == [
        "No conozco el comando !cola. Quizás quieres decir:",
        "!mano (!hand): Pide la palabra (también con una reacción ✋ a mi mensaje de turnos).",
        "!turnos (!stack): Muestra la lista de turnos.",
    ]
    answer = await router.answer(ALICE, "en", "!yes")
    assert worded(answer, "en").splitlines() == [
        "I don't know the command !yes. Perhaps you mean:",
        "!vote (!votar): Vote in the open poll with the number of your answer or a word (yes, "
        "no, abstain…); your latest vote counts.",
        "Example: !vote yes",
    ]


async def test_a_member_who_mistypes_a_chairs_command_is_told_it_is_a_chairs(
    router: Router,
) -> None:
    answer = await router.answer(DANI, "es", "!siguente")
    assert worded(answer, "es") == (
        "No conozco el comando !siguente. ¿Quisiste decir !siguiente? Solo la moderación puede "
        "usarlo; envía !ayuda para ver lo que puedes hacer."
    )
    answer = await router.answer(CAROL, "en", "!siguente")
    assert worded(answer, "en") == (
        "I don't know the command !siguente. Did you mean !next? Send !help to see what I can do."
    )


# -- in a meeting ------------------------------------------------------------------------------


@pytest.fixture
async def world() -> AsyncIterator[World]:
    db = await Database.open(":memory:")
    try:
        yield await build_world(db, Clock(), Scheduler())
    finally:
        await db.close()


async def test_asking_for_the_floor_in_the_assemblys_own_words_raises_a_hand(
    world: World,
) -> None:
    await world.say(CAROL, EN, "!startmeeting Monthly assembly")
    mark = world.mark()
    await world.say(DANI, ES, "!pido la palabra")
    assert world.said_in(ES, mark) == ["Dani (MX) pidió la palabra y es quien sigue en la lista."]
    await world.say(BETO, ES, "!turno")
    assert world.said_in(ES)[-1].startswith("Beto (MX) pidió la palabra: número 2 de la lista")
    await world.say(ALICE, EN, "!raise my hand")
    assert world.said_in(EN)[-1].startswith("Alice (US) raised a hand: number")
    await world.say(DANI, ES, "!bajar la mano")
    assert "Dani (MX) retiró su petición de palabra." in world.said_in(ES)[-1]


async def test_help_for_a_command_names_the_other_words_it_takes_in_the_rooms_language(
    world: World,
) -> None:
    await world.say(DANI, ES, "!ayuda pido la palabra")
    assert world.said_in(ES)[-1].splitlines() == [
        "!mano (!hand): Pide la palabra (también con una reacción ✋ a mi mensaje de turnos).",
        "También entiendo: !palabra, !pido la palabra, !pido palabra, !pido, !turno, "
        "!pido turno, !quiero hablar, !levanto la mano.",
        "Uso: !mano",
    ]
    await world.say(ALICE, EN, "!help palabra")
    assert world.said_in(EN)[-1].splitlines()[1] == (
        "Also understood: !q+, !raise, !raise hand, !raise my hand, !speak, !hand up."
    )


# -- with no meeting open ----------------------------------------------------------------------


async def test_a_member_with_no_meeting_open_is_told_who_may_open_one_not_to_open_it(
    world: World,
) -> None:
    await world.say(DANI, ES, "!mano")
    assert world.said_in(ES) == [
        "No hay ninguna reunión abierta. La abre con !iniciarreunión quien modera la asamblea "
        "de forma permanente: Carol (US). Envía !programadas para ver cuándo es la próxima."
    ]
    await world.say(ALICE, EN, "!stack")
    assert world.said_in(EN) == [
        "No meeting is open. A standing chair opens one with !startmeeting: Carol (US). "
        "Send !schedules to see when the next one meets."
    ]
    await world.say(BETO, ES, "!acta")
    assert world.said_in(ES)[-1] == (
        "Todavía no ha habido ninguna reunión. La abre con !iniciarreunión quien modera la "
        "asamblea de forma permanente: Carol (US). Envía !programadas para ver cuándo es la "
        "primera."
    )


async def test_whoever_may_open_a_meeting_is_told_how(world: World) -> None:
    await world.say(CAROL, ES, "!mano")
    assert world.said_in(ES) == [
        "No hay ninguna reunión abierta. Inicia una con !iniciarreunión seguido de su título."
    ]
    await world.say(CAROL, EN, "!minutes")
    assert world.said_in(EN)[-1] == (
        "There has been no meeting yet. Start one with !startmeeting."
    )


# -- the README --------------------------------------------------------------------------------


def test_the_readme_command_table_lists_every_other_word_for_a_command(
    router: Router,
) -> None:
    table = README.read_text(encoding="utf-8").split("## Commands", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `!")]
    missing = []
    for bound in router.core.router.commands:
        spec = bound.spec
        named = re.compile(f"`!{re.escape(spec.name)}[` ]")
        # The row that names the command itself, before its other words in brackets.
        [row] = [r for r in rows if named.search(r.split(" | ")[0].split(" (`")[0])]
        missing += [
            (spec.name, alias)
            for alias in (*spec.aliases, *spec.aliases_es)
            if f"`!{alias}`" not in row
        ]
    assert missing == []
