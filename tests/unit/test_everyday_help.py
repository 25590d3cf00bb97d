"""Help that helps, without a homeserver: every command's example is real, `!help` finds groups
and commands by either language's name, a refusal names who may act now, and the Spanish
catalogs speak with one verb form and keep their accents."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.config import parse_config
from bot.domain.authority import Authority, Chair, ChairsNow, Role
from bot.domain.outcomes import Reply
from bot.domain.words import plain
from bot.features.platform import assemblies_of
from bot.framework.commands import CommandSpec, declared_specs, group_spec
from bot.framework.errors import UsageError
from bot.framework.parsing import parse_invocation
from bot.i18n import Catalogs
from bot.storage.database import Database
from tests.harness.fakes import Clock, Scheduler, Seats
from tests.harness.offline import offline_core
from tests.unit.test_catalogs import declared_groups
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
)
from tests.unit.test_router_fuzz import RAW_CONFIG, SEATED

CATALOGS = Catalogs.load_default()
LOCALES = Path(__file__).resolve().parents[2] / "bot" / "i18n" / "locales"


@pytest.fixture
async def world() -> AsyncIterator[World]:
    db = await Database.open(":memory:")
    try:
        yield await build_world(db, Clock(), Scheduler())
    finally:
        await db.close()


def declared_commands() -> list[CommandSpec]:
    return [spec for group in declared_groups() for _, spec in declared_specs(group)]


# -- one real example per command ------------------------------------------------------------


def test_every_command_with_arguments_has_an_example_in_both_languages_that_parses() -> None:
    with_arguments = [spec for spec in declared_commands() if spec.params]
    assert len(with_arguments) >= 20
    for spec in with_arguments:
        assert spec.example_key is not None
        for language in ("en", "es"):
            example = f"!{spec.name_in(language)} {CATALOGS.template(language, spec.example_key)}"
            invocation = parse_invocation(example, "!")
            assert invocation is not None, example
            try:
                spec.convert(invocation.words)
            except UsageError as error:
                pytest.fail(f"{example} is refused: {error.message.key}")


async def test_no_example_meets_a_usage_error_when_a_chair_sends_it() -> None:
    """Sent for real, by a standing chair, in a meeting: some examples are refused for what
    they name (no poll #2 here), but none for how it is written."""
    db = await Database.open(":memory:")
    try:
        core = offline_core(db, RAW_CONFIG, SEATED)
        config = parse_config(RAW_CONFIG, base_dir=Path("."), environ={})
        [assembly] = assemblies_of(config, {EN: EN, ES: ES})
        bodies = ["!startmeeting Examples"]
        for bound in core.router.commands:
            spec = bound.spec
            for language in ("en", "es"):
                if spec.params and spec.name != "startmeeting":
                    bodies.append(core.router.example(spec, language) or "")
        for n, body in enumerate(bodies):
            room = assembly.rooms[0] if n % 2 else assembly.rooms[1]
            async with db.transaction():
                outcomes = await core.router.route(
                    body,
                    event_id=f"$example{n}",
                    sender=CAROL,
                    sender_name="Carol",
                    ts=1_700_000_000_000,
                    assembly=assembly,
                    room=room,
                )
            refused = [o for o in outcomes or [] if isinstance(o, Reply) and o.refused]
            keys = [line.key for reply in refused for line in reply.lines]
            assert "error.usage_line" not in keys and "error.bug" not in keys, (body, keys)
    finally:
        await db.close()


async def test_a_usage_error_shows_the_example_in_the_rooms_language(world: World) -> None:
    await world.say(CAROL, EN, "!poll")
    assert world.said_in(EN) == [
        'Usage: !poll <settings, question and options…>\nExample: !poll "Lunch at noon?"'
    ]
    await world.say(CAROL, ES, "!votacion")
    assert world.said_in(ES)[-1].endswith('\nEjemplo: !votación "¿Comemos a mediodía?"')
    await world.say(CAROL, EN, "!policy sideways")
    assert world.said_in(EN)[-1].splitlines()[1:] == [
        "Usage: !policy <fifo|progressive|alternate>",
        "Example: !policy alternate",
    ]


# -- !help -----------------------------------------------------------------------------------


def test_a_group_name_that_is_also_a_command_hides_nothing() -> None:
    """`!help stack` shows the stack group, not the `!stack` command: that is only safe because
    the group's list says all there is of `!stack` (a command without arguments)."""
    owner: dict[str, str] = {}
    for group in declared_groups():
        for word in map(plain, group_spec(group).names()):
            assert owner.setdefault(word, group.group_name) == group.group_name, word
    assert len(set(owner.values())) >= 8
    for group in declared_groups():
        for word in map(plain, group_spec(group).names()):
            for other in declared_groups():
                for _, spec in declared_specs(other):
                    if word in map(plain, spec.names()):
                        assert other is group and not spec.params, (word, spec.name)


async def test_help_takes_group_and_command_names_in_either_language(world: World) -> None:
    await world.say(ALICE, EN, "!help")
    overview = world.said_in(EN)[-1].splitlines()
    assert len(overview) == 13  # a header, eleven groups, how to ask for more
    assert overview[4] == (
        "Speaker stack (stack): Raise a hand, see the stack, give the floor to the next speaker."
    )
    await world.say(BETO, ES, "!ayuda records")
    group = world.said_in(ES)[-1].splitlines()
    assert group[0] == "Acuerdos y actas:"
    assert (
        group[1] == "!acuerdo (!agreed): Anota un acuerdo en el registro de decisiones. "
        "(solo moderación)"
    )
    assert group[-1] == "!ayuda <comando> para ver el uso de un comando y un ejemplo."
    await world.say(ALICE, EN, "!help !programar")
    assert world.said_in(EN)[-1].splitlines()[1:] == [
        'Usage: !schedule <YYYY-MM-DD> <HH:MM> <[zone] "title" [weekly|biweekly|monthly]…>',
        'Example: !schedule tomorrow 18:00 "Monthly assembly" monthly',
    ]
    await world.say(BETO, ES, "!ayuda baile")
    assert world.said_in(ES)[-1] == (
        "No hay ningún comando ni grupo baile. Envía !ayuda para ver los grupos."
    )


async def test_names_are_taken_with_or_without_their_accents(world: World) -> None:
    await world.say(CAROL, EN, "!startmeeting Accents")
    for typed in ("!votación", "!votacion", "!VOTACIÓN"):
        mark = world.mark()
        await world.say(CAROL, ES, typed)
        assert world.said_in(ES, mark)[0].startswith("Uso: !votación "), typed
    await world.say(CAROL, ES, "!politica fifo")
    assert "por orden de llegada" in world.said_in(ES)[-1]


# -- refusals name the people who may act now -----------------------------------------------


def test_who_may_act_now_for_each_role() -> None:
    ana, beto = Chair("@ana:x", "Ana", "US"), Chair("@beto:x", "Beto", "MX")
    carol = Chair("@carol:x", "@carol:x")  # seated in no room
    idle = ChairsNow(standing=(ana, carol))
    assert idle.holders(Role.CHAIR) == (ana, carol)
    assert idle.refusal_key(Role.CHAIR) == "error.needs.no_meeting"
    assert idle.refusal_key(Role.CHAIR_NAMER) == "error.needs.no_meeting"
    assert idle.refusal_key(Role.OPENER) == "error.needs.opener"
    meeting = ChairsNow(standing=(ana, carol), meeting=(beto, ana), opener=beto)
    assert meeting.holders(Role.CHAIR) == (beto, ana, carol)
    assert meeting.holders(Role.CHAIR_NAMER) == (beto, ana, carol)
    assert meeting.holders(Role.OPENER) == (ana, carol)
    assert meeting.holders(Role.STANDING_CHAIR) == (ana, carol)
    assert meeting.refusal_key(Role.CHAIR) == "error.needs.chair"


def test_a_turn_is_ended_by_whoever_has_the_floor_or_a_chair() -> None:
    ana, beto = Chair("@ana:x", "Ana", "US"), Chair("@beto:x", "Beto", "MX")
    dora = Chair("@dora:x", "Dora", "MX")
    speaking = ChairsNow(standing=(ana,), meeting=(beto,), opener=beto, speaker=dora)
    assert speaking.holders(Role.SPEAKER) == (dora, beto, ana)
    assert speaking.refusal_key(Role.SPEAKER) == "error.needs.speaker"
    assert ChairsNow(standing=(ana,)).refusal_key(Role.SPEAKER) == "error.needs.no_meeting"
    assert Authority("@dora:x", meeting_id=1, holds_floor=True).has(Role.SPEAKER)
    assert not Authority("@dani:x", meeting_id=1).has(Role.SPEAKER)
    assert Authority("@beto:x", meeting_id=1, chairs_meeting=True).has(Role.SPEAKER)


async def test_standing_chairs_by_power_level_are_named_and_the_unseated_by_their_id() -> None:
    db = await Database.open(":memory:")
    power = {(EN, ALICE): 50, (ES, ALICE): 100, (EN, BETO): 100}
    assembly = replace(ASSEMBLY, power_level_chairs=True, chairs=(CAROL, "@away:test"))
    try:
        world = await build_world(db, Clock(), Scheduler(), assembly, Seats(SEATS, power))
        await world.say(DANI, ES, "!iniciarreunion Barrio")
        assert world.said_in(ES) == [
            "Solo quien modera la asamblea de forma permanente puede abrir una reunión con "
            "!iniciarreunión. Moderan de forma permanente: Carol (US), @away:test, Alice (US)."
        ]
    finally:
        await db.close()


# -- the Spanish catalogs --------------------------------------------------------------------


def spanish_messages() -> dict[str, str]:
    messages = {}
    for path in sorted((LOCALES / "es").glob("*.po")):
        with path.open("rb") as handle:
            messages.update({str(m.id): str(m.string) for m in read_po(handle) if m.id})
    return messages


# A Spanish infinitive, with or without a pronoun: "Anotar", "Programarla", "Reunirse".
_INFINITIVE = re.compile(r"^[a-záéíóúñ]+(ar|er|ir)(se|lo|la|le|los|las|les)?$")


def test_spanish_descriptions_use_the_descriptive_third_person() -> None:
    """Descriptions say "Muestra…", "Anota…", "Publica…"; never "Mostrar…", "Anotar…"."""
    descriptions = {
        key: text
        for key, text in spanish_messages().items()
        if re.fullmatch(r"cmd\.\w+\.(help|details)|group\.\w+\.summary", key)
    }
    assert len(descriptions) >= 50
    first_words = {
        key: re.findall(r"[\wáéíóúñ]+", text)[0].lower() for key, text in descriptions.items()
    }
    infinitives = {key: word for key, word in first_words.items() if _INFINITIVE.match(word)}
    assert infinitives == {}


# Words people often type without their accents; in the catalogs they must keep them.
UNACCENTED = {
    "abstencion",
    "votacion",
    "reunion",
    "titulo",
    "numero",
    "opcion",
    "dia",
    "tambien",
    "mayoria",
    "quorum",
    "eleccion",
    "razon",
    "informacion",
    "duracion",
    "despues",
    "aqui",
    "manana",
    "proximo",
    "proxima",
    "segun",
    "accion",
    "decision",
    "sesion",
    "traduccion",
    "codigo",
    "minimo",
    "maximo",
    "pagina",
    "ultimo",
    "ultima",
    "politica",
    "ingles",
    "espanol",
    "mas",
    "todavia",
}
# "si" is "if" as often as it is an unaccented "sí" (yes): only an answer is flagged.
_SI_AS_YES = re.compile(r"\bsi\s*[/,]\s*no\b|[«\"]si[»\"]|\bsi\s+o\s+no\b", re.IGNORECASE)


def unaccented_words(text: str) -> list[str]:
    words = re.findall(r"[\wáéíóúñü]+", re.sub(r"\{\w+\}", " ", text))
    found = [word for word in words if word.lower() in UNACCENTED]
    return found + _SI_AS_YES.findall(text)


def test_the_guard_finds_unaccented_words_and_leaves_other_words_alone() -> None:
    assert unaccented_words("(o si, no, abstencion)") == ["abstencion", "si, no"]
    assert unaccented_words("Vota «si» o «no»") == ["«si»"]
    assert unaccented_words("se aprueba si alguien está de acuerdo; tú y yo; aún más") == []
    assert unaccented_words("{prefix}votar #{number}") == []


def test_spanish_words_keep_their_accents_in_the_catalogs() -> None:
    unaccented = {
        key: found for key, text in spanish_messages().items() if (found := unaccented_words(text))
    }
    assert unaccented == {}


def test_spanish_command_names_keep_their_accents_and_catalogs_name_real_commands() -> None:
    """What the Spanish room is shown is `!votación`, `!iniciarreunión`; a catalog that names a
    command (`{prefix}votar`) names it as that room's language does."""
    specs = declared_commands()
    for spec in specs:
        name = spec.name_es
        long_words = (word for word in UNACCENTED if len(word) >= 5)
        # "votaciones" is right without an accent; "votacion" is not.
        found = [w for w in long_words if w in name and f"{w}es" not in name]
        assert found == [], name
    for language, names in (("en", {s.name for s in specs}), ("es", {s.name_es for s in specs})):
        for path in sorted((LOCALES / language).glob("*.po")):
            named = re.findall(r"\{prefix\}([\wáéíóúñ]+)", path.read_text(encoding="utf-8"))
            assert set(named) <= names, (path.name, set(named) - names)
