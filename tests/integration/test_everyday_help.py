"""Help that helps a facilitator at their first meeting, on the real homeserver: a refused
command says who may use it and who that is now, a mistyped one suggests the right one, a
wrong one shows an example, and `!help` fits on a phone. Every answer is in the room's language.

carol is the assembly's standing chair and sits in the English room with alice; beto and dani
sit in the Spanish room.
"""

from __future__ import annotations

from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.person import Person
from tests.integration.test_records import ask, says


async def name_in_room(person: Person, room: str, name: str) -> None:
    """A display name for one room only (the test accounts are shared by the whole session)."""
    content = {"membership": "join", "displayname": name}
    response = await person.client.room_put_state(room, "m.room.member", content, person.user_id)
    assert not hasattr(response, "status_code"), response


async def test_a_refused_command_names_who_may_use_it_and_who_chairs_now(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, dani: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    # carol's name already carries her center: it is shown once.
    await name_in_room(carol, en, "Carol (US)")
    await carol.send_text(en, "!startmeeting Monthly assembly")
    await alice.wait_for(says(bot, en, "Meeting started"))
    await carol.send_text(en, f"!chair {beto.user_id}")
    await alice.wait_for(says(bot, en, "Beto (MX) is now a chair"))

    refused = await ask(alice, en, "!next")
    assert refused == (
        "Only a chair of this meeting may use !next. Chairs now: Carol (US), Beto (MX)."
    )
    # Typed with its English name in the Spanish room: named the way that room names it.
    refused = await ask(dani, es, "!next")
    assert refused == (
        "Solo quien modera esta reunión puede usar !siguiente. "
        "Moderan ahora: Carol (US), Beto (MX)."
    )


async def test_with_no_meeting_open_a_refusal_says_who_may_open_one(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    refused = await ask(alice, en, "!next")
    assert refused == (
        "Only a chair may use !next, and no meeting is open. "
        "A standing chair may open one with !startmeeting: Carol (US)."
    )
    refused = await ask(beto, es, "!iniciarreunion Asamblea de marzo")
    assert refused == (
        "Solo quien modera la asamblea de forma permanente puede abrir una reunión con "
        "!iniciarreunión. Moderan de forma permanente: Carol (US)."
    )


async def test_a_mistyped_command_suggests_the_nearest_in_the_rooms_language(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    answer = await ask(alice, rooms.english, "!stak")
    assert "Did you mean !stack?" in answer
    answer = await ask(beto, rooms.spanish, "!trunos")
    assert "¿Quisiste decir !turnos?" in answer
    answer = await ask(beto, rooms.spanish, "!cola")
    assert answer.splitlines()[1:] == [
        "!mano (!hand): Pide la palabra (también con una reacción ✋ a mi mensaje de turnos).",
        "!turnos (!stack): Muestra la lista de turnos.",
    ]


async def test_asking_for_the_floor_in_the_assemblys_words_raises_a_hand_or_says_who_opens(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, dani: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    # No meeting yet: a member is told who may open one, not to open it.
    answer = await ask(beto, es, "!palabra")
    assert answer == (
        "No hay ninguna reunión abierta. La abre con !iniciarreunión quien modera la asamblea "
        "de forma permanente: Carol (US). Envía !programadas para ver cuándo es la próxima."
    )
    await carol.send_text(en, "!startmeeting Monthly assembly")
    await alice.wait_for(says(bot, en, "Meeting started"))
    await dani.send_text(es, "!pido la palabra")
    await dani.wait_for(says(bot, es, "Dani (MX) pidió la palabra y es quien sigue en la lista."))
    await beto.send_text(es, "!turno")
    await beto.wait_for(says(bot, es, "Beto (MX) pidió la palabra: número 2 de la lista"))


async def test_a_usage_error_shows_a_real_example_in_the_rooms_language(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    answer = await ask(carol, en, "!poll")
    assert answer.splitlines()[-1] == 'Example: !poll "Lunch at noon?"'
    answer = await ask(beto, es, "!votar")
    assert answer.splitlines()[-1] == "Ejemplo: !votar sí"


async def test_help_fits_on_a_phone_and_takes_names_in_either_language(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    overview = (await ask(alice, en, "!help")).splitlines()
    assert len(overview) <= 13  # a header, a line per group, how to ask for more
    assert any(line.startswith("Speaker stack (stack): ") for line in overview)
    assert overview[-1] == "!help <group> or !help <command> for more."

    # A Spanish group name in the English room: the group, in English.
    group = (await ask(alice, en, "!help turnos")).splitlines()
    assert group[0] == "Speaker stack:"
    assert any(line.startswith("!hand (!mano): ") for line in group)
    assert any(line.startswith("!call (!llamar): ") and "chairs only" in line for line in group)

    # An English command name in the Spanish room: that command, in Spanish, with its example.
    explained = (await ask(beto, es, "!ayuda poll")).splitlines()
    assert explained[0].startswith("!votación (!poll): Inicia una votación")
    assert explained[-1] == 'Ejemplo: !votación "¿Comemos a mediodía?"'
