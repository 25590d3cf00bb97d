"""Language justice's plain rules: the memory key, the chat glossary, the roles, the labels."""

from __future__ import annotations

import functools
from pathlib import Path

from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.authority import Authority, Role
from bot.domain.interpretation import (
    GlossaryTerm,
    Learning,
    Origin,
    chat_glossary_changes,
    memory_key,
    merged_glossary,
    needs_confirmation,
)
from bot.domain.messages import Msg
from bot.domain.mirror import MirrorText
from bot.domain.names import isolate
from bot.domain.text_protection import Glossary
from bot.i18n import Catalogs
from bot.render.mirror import label_of
from bot.services.interpretation import InterpretationService
from bot.services.people import People
from bot.storage.database import Database
from bot.storage.interpretation_store import InterpretationStore
from bot.storage.runtime_store import now_ms
from commands.interpretation import MAX_LISTED, newest
from tests.harness.fakes import Seats
from tests.unit.test_statement_budget import CONFIG, SEATS, offline_core


def test_the_memory_key_ignores_case_spacing_and_punctuation_but_not_accents() -> None:
    assert memory_key("We eat at noon.") == memory_key("  we EAT at   noon!! ")
    assert memory_key("¿Comemos a mediodía?") == "comemos a mediodía"
    assert memory_key("si") != memory_key("sí")
    assert memory_key("...") == ""


def test_chat_terms_join_the_configured_glossary_and_work_both_ways() -> None:
    configured = Glossary(keep=("Asamblea",), fixed={("en", "es"): {"chair": "moderación"}})
    terms = [
        GlossaryTerm(1, "May First", None, None, None, "@i:x"),
        GlossaryTerm(2, "chair", "facilitación", "en", "es", "@i:x"),
    ]
    merged = merged_glossary(configured, terms)
    assert merged.keep == ("Asamblea", "May First")
    assert merged.fixed_for("en", "es")["chair"] == "facilitación"  # the chat's term wins
    assert merged.fixed_for("es", "en")["facilitación"] == "chair"
    assert configured.fixed_for("en", "es")["chair"] == "moderación"  # the config is untouched


def test_only_the_chats_glossary_terms_that_change_a_message_are_named() -> None:
    configured = Glossary(keep=("Asamblea",), fixed={("en", "es"): {"chair": "moderación"}})
    terms = [
        GlossaryTerm(1, "May First", None, None, None, "@i:x"),
        GlossaryTerm(2, "no", "YES", "en", "es", "@i:x"),
        GlossaryTerm(3, "assembly", "junta", "en", "es", "@i:x"),
    ]
    chat = merged_glossary(Glossary(), terms)
    whole = merged_glossary(configured, terms)

    def changes(text: str, source: str = "en", target: str = "es") -> list[tuple[str, str]]:
        found = chat_glossary_changes(text, source, target, glossary=whole, chat=chat)
        return [(use.term, use.replacement) for use in found]

    assert changes("No, the chair of Asamblea said no") == [("no", "YES")]
    assert changes("See you on May First") == [("May First", "May First")]
    assert changes("YES gracias", "es", "en") == [("YES", "no")]  # a fixed term works both ways
    assert changes("nobody knows `no`") == []  # whole words only, and never inside code
    assert changes("the assembly") == [("assembly", "junta")]
    assert chat_glossary_changes("no", "en", "es", glossary=configured, chat=Glossary()) == ()


def test_who_may_correct_keep_the_glossary_and_go_on_duty() -> None:
    member = Authority("@m:x")
    interpreter = Authority("@i:x", interpreter=True)
    chair = Authority("@c:x", standing=True)
    lenient = Authority("@m:x", members_may_fix=True)
    assert [member.has(r) for r in (Role.CORRECTOR, Role.LANGUAGE_KEEPER, Role.INTERPRETER)] == [
        False,
        False,
        False,
    ]
    assert all(interpreter.has(r) for r in (Role.CORRECTOR, Role.LANGUAGE_KEEPER, Role.INTERPRETER))
    assert chair.has(Role.LANGUAGE_KEEPER) and not chair.has(Role.INTERPRETER)
    assert not chair.has(Role.CORRECTOR)
    assert lenient.has(Role.CORRECTOR) and not lenient.has(Role.LANGUAGE_KEEPER)


def test_each_origin_of_a_copys_words_has_its_label_in_both_languages() -> None:
    catalogs = Catalogs.load_default()
    machine = MirrorText("hola", "hello", "en", "es", pending=False)
    same = MirrorText("hola", "hola", "es", "es", pending=False)
    unchanged = MirrorText("OK", "ok", "en", "es", pending=False)
    pending = MirrorText("hello", "hello", "en", "es", pending=True)
    fixed = MirrorText("hola a todas", "hello", "en", "es", False, Origin.INTERPRETER, "Dani")
    remembered = MirrorText("hola a todas", "hello", "en", "es", False, Origin.MEMORY, "Dani")
    assert [t.kind for t in (machine, same, unchanged, pending, fixed, remembered)] == [
        Origin.MACHINE,
        Origin.AS_WRITTEN,
        Origin.AS_WRITTEN,  # a "translation" identical to the original is not one
        Origin.PENDING,
        Origin.INTERPRETER,
        Origin.MEMORY,
    ]
    assert label_of(same) is None
    # Given back unchanged into a room of another language: nobody translated it, and it says so.
    assert label_of(unchanged) == Msg.of("mirror.not_translated")
    dani = isolate("Dani")  # as every label places a name
    words = {
        language: [
            catalogs.text(language, label)
            for text in (machine, pending, fixed, remembered)
            if (label := label_of(text)) is not None
        ]
        for language in ("en", "es")
    }
    assert words["es"] == [
        "traducción automática",
        "traducción pendiente",
        f"interpretado por {dani}",
        f"interpretado por {dani}, de memoria",
    ]
    assert words["en"][2:] == [f"interpreted by {dani}", f"interpreted by {dani}, from memory"]


async def test_the_chat_glossary_memory_and_duty_survive_a_restart(tmp_path: Path) -> None:
    assembly = Assembly("General", (), interpreters=("@i:x",))
    db = await Database.open(tmp_path / "a.db")
    service = InterpretationService(db, InterpretationStore(db), {})
    await service.load((assembly,))
    await service.keep_term(assembly, "May First", "@i:x")
    await service.set_on_duty(assembly, "@i:x", True)
    await service.remember("General", "en", "es", "Hello, dear friends!", "Hola a todas", "@i:x")
    await service.remember("General", "en", "es", "Yes!", "Claro", "@i:x")
    await db.close()

    db = await Database.open(tmp_path / "a.db")
    again = InterpretationService(db, InterpretationStore(db), {})
    await again.load((assembly,))
    assert again.glossary("General").keep == ("May First",)
    assert again.on_duty("General", "@i:x")
    found = await again.recall("General", "en", "es", "hello dear friends")
    assert found is not None and found.text == "Hola a todas"
    assert await again.recall("General", "en", "fr", "hello dear friends") is None
    # A short correction waiting for a second interpreter waits across the restart too.
    learned = await again.remember("General", "en", "es", "yes", "claro.", "@j:x")
    assert learned is Learning.CONFIRMED
    await db.close()


async def test_a_short_sentence_is_learned_once_a_second_interpreter_agrees(
    tmp_path: Path,
) -> None:
    assert needs_confirmation("Sí.") and needs_confirmation("no way")
    assert not needs_confirmation("we eat at noon")
    db = await Database.open(tmp_path / "a.db")
    service = InterpretationService(db, InterpretationStore(db), {})
    remember = functools.partial(service.remember, "General", "es", "en")
    assert await remember("sí", "NO", "@dani:x") is Learning.AWAITS_SECOND
    assert await remember("Sí.", "no", "@dani:x") is Learning.AWAITS_SECOND  # the same person
    assert await remember("Sí.", "Of course", "@eva:x") is Learning.AWAITS_SECOND  # other words
    assert await service.recall("General", "es", "en", "sí") is None
    assert await remember("¡Sí!", "No.", "@eva:x") is Learning.CONFIRMED
    found = await service.recall("General", "es", "en", "sí")
    assert found is not None and (found.text, found.interpreter) == ("No.", "@eva:x")
    assert await remember("...", "nada", "@eva:x") is Learning.NOTHING
    assert await remember("we eat at noon", "comemos", "@eva:x") is Learning.LEARNED
    await db.close()


async def test_a_correction_nobody_agreed_with_is_forgotten_in_time(tmp_path: Path) -> None:
    """The hourly pruning drops corrections older than its cutoff still waiting for a second
    interpreter; a later one waits on, and the same correction afterwards starts anew."""
    db = await Database.open(tmp_path / "a.db")
    store = InterpretationStore(db)
    service = InterpretationService(db, store, {})
    remember = functools.partial(service.remember, "General", "es", "en")
    assert await remember("sí", "No.", "@dani:x") is Learning.AWAITS_SECOND
    await db.execute("UPDATE memory_proposals SET created_at = created_at - 100000")
    assert await remember("claro", "Sure.", "@dani:x") is Learning.AWAITS_SECOND
    newest = await db.fetch_one(
        "SELECT MIN(created_at) AS at FROM memory_proposals WHERE original = 'claro'"
    )
    assert newest is not None
    assert await store.forget_proposals_before(newest["at"]) == 1
    left = await db.fetch_all("SELECT original FROM memory_proposals")
    assert [row["original"] for row in left] == ["claro"]
    # eva's agreement with the forgotten one is a first proposal again, not a confirmation.
    assert await remember("Sí.", "No.", "@eva:x") is Learning.AWAITS_SECOND
    await db.close()


async def test_the_hourly_pruning_forgets_unconfirmed_corrections(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    service = InterpretationService(db, InterpretationStore(db), {})
    assert await service.remember("General", "es", "en", "sí", "No.", "@dani:x") is (
        Learning.AWAITS_SECOND
    )
    core = offline_core(db, CONFIG, SEATS)
    steps = dict(core.pruning)
    assert await steps["unconfirmed memory corrections"](now_ms() + 1) == 1
    assert await db.fetch_all("SELECT * FROM memory_proposals") == []
    await db.close()


def test_someone_sitting_in_both_rooms_counts_in_their_configured_center() -> None:
    english = AssemblyRoom("!en", "en", "US", "America/New_York")
    spanish = AssemblyRoom("!es", "es", "MX", "America/Mexico_City")
    assembly = Assembly("General", (english, spanish), member_centers=(("@beto:x", "MX"),))
    both = {"@beto:x": "Beto", "@ana:x": "Ana"}
    seats = Seats({"!en": both, "!es": both})
    people = People(seats)
    assert people.center_of(assembly, "@beto:x", spoken_in="!en") == "MX"
    # Without a configured center, the room spoken in decides.
    assert people.center_of(assembly, "@ana:x", spoken_in="!es") == "MX"
    assert people.center_of(assembly, "@ana:x", spoken_in="!en") == "US"


def test_a_long_list_shows_its_newest_entries_and_how_many_are_left_out() -> None:
    lines = [Msg.of("interpretation.list_line", name=str(n)) for n in range(MAX_LISTED + 7)]
    shown = newest(lines)
    assert len(shown) == MAX_LISTED + 1
    assert shown[0] == Msg.of("interpretation.older_left_out", count=7)
    assert shown[-1] == lines[-1] and shown[1] == lines[7]
    assert newest(lines[:3]) == lines[:3]
