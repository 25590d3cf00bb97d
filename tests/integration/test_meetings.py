"""A short meeting on a real homeserver, driven from both rooms.

alice and carol (the chair) sit in the English room, beto and dani in the Spanish room. One
meeting, one agenda and one speaker stack span both rooms; each room hears the bot in its own
language, and a restart of the bot in the middle of the meeting loses nothing.
"""

from __future__ import annotations

from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.matchers import bot_says, replies_to
from tests.harness.person import Person, body_of, content_of


async def ask(person: Person, room: str, command: str) -> str:
    """Send a command and return the body of the bot's reply to it."""
    asked = await person.send_text(room, command)
    return body_of(await person.wait_for(replies_to(asked))) or ""


async def test_a_short_meeting_from_both_rooms_survives_a_restart(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, dani: Person
) -> None:
    en, es = rooms.english, rooms.spanish

    await carol.send_text(en, "!startmeeting Budget assembly")
    await alice.wait_for(bot_says(bot, en, "Meeting started: Budget assembly"))
    # Titles are person-written: the Spanish room sees them translated, with the original.
    await beto.wait_for(bot_says(bot, es, "Empieza la reunión: "))
    await beto.wait_for(bot_says(bot, es, "(Budget assembly)"))

    await carol.send_text(en, "!item Budget 10m")
    await carol.send_text(en, "!item Calendar")
    await beto.wait_for(bot_says(bot, es, "Nuevo punto en el orden del día: 2. "))
    await carol.send_text(en, "!next")
    await beto.wait_for(bot_says(bot, es, "Siguiente punto: 1. "))
    await alice.wait_for(bot_says(bot, en, "Next on the agenda: 1. Budget (10 min)"))

    # Two hands from the English room, then one from the Spanish room: alternation puts beto
    # between them.
    await alice.send_text(en, "!hand")
    await beto.wait_for(bot_says(bot, es, "Alice (US) pidió la palabra y es quien sigue"))
    await carol.send_text(en, "!hand")
    await beto.wait_for(bot_says(bot, es, "Carol (US) pidió la palabra: número 2 de la lista"))
    await beto.send_text(es, "!mano")
    raised = await alice.wait_for(bot_says(bot, en, "Beto (MX) raised a hand"))
    assert body_of(raised) == "Beto (MX) raised a hand: number 2 on the stack; next: Alice (US)."

    refused = await ask(dani, es, "!llamar")
    assert refused.startswith("Solo quien modera esta reunión puede usar !llamar.")

    stack_before = await ask(alice, en, "!stack")
    stack_before_es = await ask(beto, es, "!turnos")
    agenda_before = await ask(alice, en, "!agenda")
    await bot.restart()
    assert await ask(alice, en, "!stack") == stack_before
    assert await ask(beto, es, "!turnos") == stack_before_es
    assert await ask(alice, en, "!agenda") == agenda_before
    assert "▶ 1. Budget (10 min) — under discussion\n2. Calendar" in agenda_before
    assert "1. Alice (US) — turno\n2. Beto (MX) — turno\n3. Carol (US) — turno" in stack_before_es

    mark_alice, mark_beto = alice.mark(), beto.mark()
    await carol.send_text(en, "!call")
    called = await alice.wait_for(bot_says(bot, en, "Alice (US) has the floor."), since=mark_alice)
    assert content_of(called)["m.mentions"] == {"user_ids": [alice.user_id]}
    told = await beto.wait_for(bot_says(bot, es, "Alice (US) tiene la palabra."), since=mark_beto)
    assert content_of(told)["m.mentions"] == {}

    await carol.send_text(en, "!call")
    called = await beto.wait_for(bot_says(bot, es, "Beto (MX) tiene la palabra."))
    assert content_of(called)["msgtype"] == "m.text"
    assert content_of(called)["m.mentions"] == {"user_ids": [beto.user_id]}
    await alice.wait_for(bot_says(bot, en, "Beto (MX) has the floor."))

    await carol.send_text(en, "!call")
    await beto.wait_for(bot_says(bot, es, "Carol (US) tiene la palabra."))


async def test_a_hand_raised_with_a_reaction_and_gentle_time_notices(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, dani: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    await carol.send_text(en, "!startmeeting Quick check")
    await beto.wait_for(bot_says(bot, es, "Empieza la reunión"))

    await alice.send_text(en, "!hand")
    await dani.wait_for(bot_says(bot, es, "Alice (US) pidió la palabra"))
    asked = await dani.send_text(es, "!turnos")
    stack_message = await dani.wait_for(replies_to(asked))
    await dani.react(es, stack_message.event_id, "✋️")
    await alice.wait_for(bot_says(bot, en, "Dani (MX) raised a hand: number 2 on the stack"))

    await carol.send_text(en, "!timelimit 1s")
    await alice.wait_for(bot_says(bot, en, "From the next turn on, each turn has 1 s."))
    await carol.send_text(en, "!item Warm-up 1s")
    await carol.send_text(en, "!next")
    await carol.send_text(en, "!call")
    await alice.wait_for(bot_says(bot, en, "Alice (US), the 1 s for this turn are up."))
    await beto.wait_for(bot_says(bot, es, "Alice (US), se cumplieron los 1 s de este turno."))
    await beto.wait_for(bot_says(bot, es, "se cumplieron los 1 s previstos para «"))
    await alice.wait_for(bot_says(bot, en, "the 1 s planned for “Warm-up” are up"))

    # Notices are posted once, also after a restart.
    await bot.restart()
    later = await ask(alice, en, "!stack")
    assert "Speaking now: Alice (US)." in later
    await alice.next_sync()
    assert alice.count(en, bot_says(bot, en, "for this turn are up")) == 1
    assert alice.count(en, bot_says(bot, en, "planned for “Warm-up” are up")) == 1
