"""The bot answers in each room's own language, exactly once, and survives bad input."""

from __future__ import annotations

from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.matchers import replies_to
from tests.harness.person import Person, body_of, content_of


def from_bot(bot: BotRunner):
    bot_id = bot.app.config.matrix.user_id if bot.app else ""

    def match(room_id: str, event) -> bool:
        return event.source.get("sender") == bot_id and body_of(event) is not None

    return match


async def test_help_in_english_and_ayuda_in_spanish(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    asked = await alice.send_text(rooms.english, "!help")
    answer = await alice.wait_for(replies_to(asked))
    assert "Asamblea commands" in body_of(answer)
    assert "\nSpeaker stack (stack): " in body_of(answer)
    assert content_of(answer)["msgtype"] == "m.notice"

    asked = await beto.send_text(rooms.spanish, "!ayuda")
    answer = await beto.wait_for(replies_to(asked))
    assert "Comandos de Asamblea" in body_of(answer)
    assert "\nLista de turnos (turnos): " in body_of(answer)


async def test_english_names_work_in_the_spanish_room(
    bot: BotRunner, rooms: RoomPair, beto: Person
) -> None:
    asked = await beto.send_text(rooms.spanish, "!status")
    answer = await beto.wait_for(replies_to(asked))
    assert "Asamblea de prueba" in body_of(answer)
    assert "centro MX" in body_of(answer) and "centro US" in body_of(answer)


async def test_unknown_command_and_unbalanced_quote_get_clear_replies(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    asked = await alice.send_text(rooms.english, "!dance")
    answer = await alice.wait_for(replies_to(asked))
    assert "I don't know the command !dance" in body_of(answer)
    assert "!help" in body_of(answer)

    asked = await beto.send_text(rooms.spanish, '!ayuda "mano')
    answer = await beto.wait_for(replies_to(asked))
    assert "Falta cerrar unas comillas" in body_of(answer)

    asked = await alice.send_text(rooms.english, "!help")
    assert await alice.wait_for(replies_to(asked))


async def test_a_command_sent_while_the_bot_is_down_is_answered_once_after_restart(
    bot: BotRunner, rooms: RoomPair, alice: Person
) -> None:
    await bot.stop()
    asked = await alice.send_text(rooms.english, "!status")
    await bot.start()
    await alice.wait_for(replies_to(asked))
    # Another command and its answer prove the bot has moved past the first one.
    later = await alice.send_text(rooms.english, "!help")
    await alice.wait_for(replies_to(later))
    await bot.restart()
    last = await alice.send_text(rooms.english, "!help")
    await alice.wait_for(replies_to(last))
    assert alice.count(rooms.english, replies_to(asked)) == 1
    assert alice.count(rooms.english, replies_to(later)) == 1


async def test_a_command_sent_before_the_bot_joined_is_never_answered(
    bot_config, rooms: RoomPair, alice: Person, accounts, synapse
) -> None:
    from tests.conftest import BOT_LOCALPART
    from tests.integration.conftest import joined

    early = await alice.send_text(rooms.english, "!help")
    runner = BotRunner(bot_config)
    await runner.start()
    try:
        bot_id = accounts[BOT_LOCALPART].user_id
        await alice.wait_for(lambda r, e: r == rooms.english and joined(e, bot_id))
        later = await alice.send_text(rooms.english, "!status")
        await alice.wait_for(replies_to(later))
        assert alice.count(rooms.english, replies_to(early)) == 0
    finally:
        await runner.stop()


async def test_a_rejected_access_token_stops_the_bot_with_a_clear_message(bot_config) -> None:
    import pytest

    from bot.matrix.runtime import FatalMatrixError

    text = bot_config.read_text().replace('password = "', 'access_token = "not-a-token"\n# "')
    bot_config.write_text(text)
    runner = BotRunner(bot_config)
    with pytest.raises(FatalMatrixError, match=r"rejected matrix\.access_token"):
        await runner.start()


async def test_an_invite_to_a_room_outside_the_assembly_is_not_accepted(
    bot: BotRunner, rooms: RoomPair, alice: Person, accounts
) -> None:
    from tests.conftest import BOT_LOCALPART
    from tests.integration.conftest import joined

    bot_id = accounts[BOT_LOCALPART].user_id
    elsewhere = await alice.create_room("Not an assembly room", invite=[bot_id])
    asked = await alice.send_text(rooms.english, "!help")
    await alice.wait_for(replies_to(asked))
    await alice.next_sync()
    assert alice.count(elsewhere, lambda r, e: joined(e, bot_id)) == 0
