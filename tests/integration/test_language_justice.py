"""Language justice on the real homeserver: interpreters outrank the machine.

Dani (in the Spanish room) is an interpreter of the assembly; Carol chairs; Alice and Beto are
members. The translator is the loopback LibreTranslate look-alike ("hello everyone" → "hola
todos"), whose requests the tests count.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.libretranslate import FakeLibreTranslate
from tests.harness.matchers import copy_of, edit_of, reaction_to
from tests.harness.person import Person, body_of, content_of
from tests.harness.reading import as_read

BOT = "org.asamblea.bot"


@pytest.fixture
def assembly_extra(dani: Person, beto: Person) -> str:
    # Beto sits in both rooms in one test: he is of the Mexican center wherever he writes.
    return f'interpreters = ["{dani.user_id}"]\nmember_centers = {{ "{beto.user_id}" = "MX" }}\n'


def reply_to(event_id: str) -> dict[str, Any]:
    return {"m.relates_to": {"m.in_reply_to": {"event_id": event_id}}}


def answer_to(event_id: str, room_id: str):
    """The bot's reply (not a mirrored copy) to one command."""

    def match(event_room: str, event: Any) -> bool:
        content = content_of(event)
        relation = content.get("m.relates_to") or {}
        marker = content.get(BOT) or {}
        return (
            event_room == room_id
            and marker.get("kind") != "mirror"
            and (relation.get("m.in_reply_to") or {}).get("event_id") == event_id
        )

    return match


def says(room_id: str, words: str):
    def match(event_room: str, event: Any) -> bool:
        return event_room == room_id and words in (body_of(event) or "")

    return match


async def test_an_interpreter_corrects_a_copy_and_the_same_sentence_comes_from_memory(
    bot: BotRunner,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    dani: Person,
    translator: FakeLibreTranslate,
) -> None:
    said = await alice.send_text(rooms.english, "good morning everyone")
    copy = await dani.wait_for(copy_of(said, rooms.spanish))
    assert "[traducción automática]: buenos días todos" in body_of(copy)

    fix = await dani.send_text(
        rooms.spanish, "!corregir buenos días a todas y todos", **reply_to(copy.event_id)
    )
    edit = await beto.wait_for(edit_of(copy.event_id))
    new = content_of(edit)["m.new_content"]
    assert as_read(new["body"]).startswith(
        "Alice (US) [interpretado por Dani]: buenos días a todas y todos"
    )
    assert "good morning everyone" in new["body"]  # the original stays one click away
    await dani.wait_for(reaction_to(fix, "✅"))

    asked = len(translator.requests)
    again = await alice.send_text(rooms.english, "Good morning,  everyone!")
    remembered = await beto.wait_for(copy_of(again, rooms.spanish))
    assert body_of(remembered).startswith(
        "Alice (US) [interpretado por Dani, de memoria]: buenos días a todas y todos"
    )
    assert len(translator.requests) == asked, "a remembered sentence never goes to the provider"


async def fix(person: Person, room_id: str, copy: Any, command: str) -> str:
    """`person` corrects one copy; the bot's answer to the command, once the copy is edited."""
    asked = await person.send_text(room_id, command, **reply_to(copy.event_id))
    await person.wait_for(edit_of(copy.event_id))
    return body_of(await person.wait_for(answer_to(asked, room_id))) or ""


async def test_a_short_sentence_is_remembered_only_once_a_second_interpreter_confirms_it(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, dani: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    # Dani interprets for the English room too, where the copies of Spanish words are.
    await alice.invite(en, dani.user_id)
    await dani.join(en)
    said = await beto.send_text(es, "sí")
    copy = await alice.wait_for(copy_of(said, en))
    assert body_of(copy).startswith("Beto (MX) [machine translation]: yes")

    answer = await fix(dani, en, copy, "!fix NO")
    assert "waits for a second interpreter" in answer
    # One interpreter's word alone does not change what anyone else says later.
    later = await beto.send_text(es, "Sí.")
    copy = await alice.wait_for(copy_of(later, en))
    assert body_of(copy).startswith("Beto (MX) [machine translation]: Yes.")
    # Nor does the same interpreter saying it twice.
    assert "waits for a second interpreter" in await fix(dani, en, copy, "!fix no")

    await carol.send_text(en, f"!interpreter {alice.user_id}")
    await alice.wait_for(says(en, "named Alice (US) an interpreter"))
    answer = await fix(alice, en, copy, "!fix No.")
    assert "confirmed" in answer and "“Sí.” → “No.”" in answer
    again = await beto.send_text(es, "¡sí!")
    remembered = await alice.wait_for(copy_of(again, en))
    assert body_of(remembered).startswith("Beto (MX) [interpreted by Alice, from memory]: No.")

    # In the Spanish room the interpreter is told in Spanish.
    hello = await alice.send_text(en, "hello")
    copy = await dani.wait_for(copy_of(hello, es))
    assert "otra persona intérprete" in await fix(dani, es, copy, "!corregir buenas")


async def test_a_member_who_is_not_an_interpreter_cannot_fix_a_copy(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    said = await alice.send_text(rooms.english, "hello world")
    copy = await beto.wait_for(copy_of(said, rooms.spanish))
    fix = await beto.send_text(
        rooms.spanish, "!corregir hola mundo entero", **reply_to(copy.event_id)
    )
    refusal = await beto.wait_for(answer_to(fix, rooms.spanish))
    assert "Solo quien interpreta" in body_of(refusal) and "!corregir" in body_of(refusal)
    assert "Intérpretes: Dani" in body_of(refusal)
    assert beto.count(rooms.spanish, edit_of(copy.event_id)) == 0


async def test_a_fix_must_reply_to_a_copy(
    bot: BotRunner, rooms: RoomPair, beto: Person, dani: Person
) -> None:
    own = await beto.send_text(rooms.spanish, "hola")
    fix = await dani.send_text(rooms.spanish, "!corregir hello", **reply_to(own))
    refusal = await dani.wait_for(answer_to(fix, rooms.spanish))
    assert "no es una copia reflejada" in body_of(refusal)


async def test_a_glossary_term_added_in_chat_applies_to_the_next_copy(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    added = await carol.send_text(rooms.english, '!glossary add "assembly" = "junta"')
    await carol.wait_for(reaction_to(added, "✅"))
    said = await alice.send_text(rooms.english, "welcome assembly")
    copy = await beto.wait_for(copy_of(said, rooms.spanish))
    assert "bienvenidos junta" in body_of(copy)

    listed = await beto.send_text(rooms.spanish, "!glosario")
    answer = await beto.wait_for(answer_to(listed, rooms.spanish))
    assert "«assembly» (en) → «junta» (es)" in body_of(answer)

    refused = await alice.send_text(rooms.english, '!glossary keep "May First"')
    refusal = await alice.wait_for(answer_to(refused, rooms.english))
    assert "Only an interpreter or a chair may use !glossary" in body_of(refusal)
    assert "Dani" in body_of(refusal) and "Carol" in body_of(refusal)


async def test_a_glossary_change_is_announced_everywhere_and_named_on_the_copies_it_changes(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    await carol.send_text(en, '!glossary add "no" = "YES"')
    await alice.wait_for(says(en, "Carol (US) changed the glossary: from now on “no” (en) is"))
    await beto.wait_for(says(es, "Carol (US) cambió el glosario: desde ahora «no» (en) se traduce"))

    said = await alice.send_text(en, "no thank you")
    copy = await beto.wait_for(copy_of(said, es))
    label = "Alice (US) [traducción automática · glosario: no → YES]: YES gracias"
    assert body_of(copy).startswith(label)
    answered = await beto.send_text(es, "YES gracias")
    copy = await alice.wait_for(copy_of(answered, en))
    assert body_of(copy).startswith("Beto (MX) [machine translation · glossary: YES → no]: ")

    await carol.send_text(en, "!glossary remove 1")
    await alice.wait_for(says(en, "Carol (US) removed “no” from the glossary."))
    await beto.wait_for(says(es, "Carol (US) quitó «no» del glosario."))
    again = await alice.send_text(en, "no thank you")
    copy = await beto.wait_for(copy_of(again, es))
    assert body_of(copy).startswith("Alice (US) [traducción automática]: no gracias")


async def test_an_interpreter_on_duty_is_not_mirrored_back_and_the_minutes_link_their_words(
    bot: BotRunner,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    carol: Person,
    dani: Person,
    tmp_path: Path,
) -> None:
    await carol.send_text(rooms.english, "!startmeeting Weekly")
    await dani.wait_for(says(rooms.spanish, "Weekly"))
    await dani.send_text(rooms.spanish, "!interpretando sí")
    await alice.wait_for(says(rooms.english, "Dani (MX) is interpreting"))
    said = await alice.send_text(rooms.english, "hello everyone")
    copy = await dani.wait_for(copy_of(said, rooms.spanish))
    # Dani interprets, as a reply to the copy: kept beside Alice's words, never mirrored back.
    interpreted = await dani.send_text(
        rooms.spanish, "ella dice: hola a todas y todos", **reply_to(copy.event_id)
    )
    after = await beto.send_text(rooms.spanish, "gracias")
    await alice.wait_for(copy_of(after, rooms.english))
    assert alice.count(rooms.english, copy_of(interpreted, rooms.english)) == 0

    await dani.send_text(rooms.spanish, "!interpretando no")
    await alice.wait_for(says(rooms.english, "Dani (MX) stopped interpreting"))
    back = await dani.send_text(rooms.spanish, "hola")
    await alice.wait_for(copy_of(back, rooms.english))

    assert bot.app is not None
    output = tmp_path / "acta.md"
    args = ["minutes", "--database", str(bot.app.config.database_path), "--meeting", "1"]
    args += ["--lang", "es", "--transcript", "-o", str(output)]
    assert await asyncio.to_thread(main, args) == 0
    acta = as_read(output.read_text(encoding="utf-8"))
    rows = [line for line in acta.splitlines() if "|" in line]
    alice_row = next(i for i, row in enumerate(rows) if "Alice (US)" in row and "hola todos" in row)
    assert "Dani, interpretando" in rows[alice_row + 1]
    assert "ella dice: hola a todas y todos" in rows[alice_row + 1]
    # Interpreting is not Dani's own speech: only "hola", said off duty, counts as a message.
    statistics = [row for row in rows if row.startswith("| Dani")]
    assert statistics and statistics[0].split("|")[5].strip() == "1"


async def test_spanish_written_in_the_english_room_reaches_both_rooms_in_their_language(
    bot: BotRunner,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    translator: FakeLibreTranslate,
) -> None:
    await alice.invite(rooms.english, beto.user_id)
    await beto.join(rooms.english)
    spanish = "¿Podemos hablar de la propuesta mañana por la tarde, por favor?"
    said = await beto.send_text(rooms.english, spanish)

    # The Spanish room reads it as written, not as a "translation" of Spanish taken for English.
    copy = await beto.wait_for(copy_of(said, rooms.spanish))
    assert body_of(copy).startswith(f"Beto (MX): {spanish}")
    assert "traducción automática" not in body_of(copy)

    # The English room gets an English rendering, under the message it translates.
    companion = await alice.wait_for(copy_of(said, rooms.english))
    body = body_of(companion)
    assert body.startswith("Beto (MX) [machine translation]: ")
    assert "proposal" in body and "tomorrow" in body
    assert content_of(companion)["m.relates_to"]["m.in_reply_to"]["event_id"] == said
    assert content_of(companion)["m.mentions"] == {}
    asked = [text for text in translator.requests if "propuesta" in text]
    assert asked, "the companion was translated by the provider"

    # English in the English room is still translated into Spanish, with no companion.
    english = await alice.send_text(rooms.english, "hello everyone, see you tomorrow")
    mirrored = await beto.wait_for(copy_of(english, rooms.spanish))
    assert "traducción automática" in body_of(mirrored)
    await beto.send_text(rooms.spanish, "gracias")
    assert alice.count(rooms.english, copy_of(english, rooms.english)) == 0
