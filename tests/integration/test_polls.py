"""Polls on a real homeserver: one poll shown natively in both rooms, votes from both counted
together, and the outcome written to the decision log.

alice and carol sit in the English room (center US), beto and dani in the Spanish room (MX);
carol chairs.
"""

from __future__ import annotations

from typing import Any

from bot.cli.devserver import LocalSynapse
from tests.conftest import PERSON_PASSWORD
from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.matchers import bot_id, reaction_to, relation_of
from tests.harness.matchers import replies_to as reply_to
from tests.harness.person import Person, body_of, content_of, type_of

START = "org.matrix.msc3381.poll.start"
END = "org.matrix.msc3381.poll.end"
RESPONSE = "org.matrix.msc3381.poll.response"
TEXT = "org.matrix.msc1767.text"


def poll_start(room_id: str):
    def match(event_room: str, event: Any) -> bool:
        return event_room == room_id and type_of(event) == START

    return match


def poll_end_of(start_event_id: str):
    def match(event_room: str, event: Any) -> bool:
        return type_of(event) == END and relation_of(event).get("event_id") == start_event_id

    return match


def notice(room_id: str, contains: str):
    def match(event_room: str, event: Any) -> bool:
        return event_room == room_id and contains in (body_of(event) or "")

    return match


async def open_poll(chair: Person, rooms: RoomPair, command: str, *watchers: Person) -> list[str]:
    """The chair opens a poll from the English room; the ids of its start events, per room."""
    marks = [(person, person.mark()) for person in (chair, *watchers)]
    await chair.send_text(rooms.english, command)
    english = await chair.wait_for(poll_start(rooms.english), since=marks[0][1])
    starts = [english.source["event_id"]]
    for person, mark in marks[1:]:
        spanish = await person.wait_for(poll_start(rooms.spanish), since=mark)
        starts.append(spanish.source["event_id"])
    return starts


async def respond(person: Person, room_id: str, start: str, answers: list[str]) -> str:
    """A vote as Element sends it."""
    return await person.send_content(
        room_id,
        RESPONSE,
        {
            "m.relates_to": {"rel_type": "m.reference", "event_id": start},
            RESPONSE: {"answers": answers},
        },
    )


async def vote_by_text(person: Person, room_id: str, text: str) -> None:
    said = await person.send_text(room_id, text)
    await person.wait_for(reaction_to(said))


async def turnout(person: Person, room_id: str, command: str) -> str:
    """Ask for the open poll's turnout; the answer also proves every earlier vote in that room
    has been handled, since a room's events are handled in order."""
    asked = await person.send_text(room_id, command)
    return body_of(await person.wait_for(reply_to(asked)))


async def close(chair: Person, rooms: RoomPair, *readers: tuple[Person, str]) -> list[str]:
    """carol closes the poll from the English room; the result as each reader sees it."""
    marks = [(person, room, person.mark()) for person, room in readers]
    await chair.send_text(rooms.english, "!close")
    results = []
    for person, room, mark in marks:
        outcome = "Outcome:" if room == rooms.english else "Resultado:"
        results.append(body_of(await person.wait_for(notice(room, outcome), since=mark)))
    return results


async def decisions(bot: BotRunner) -> list[Any]:
    assert bot.app is not None and bot.app.db is not None
    return await bot.app.db.fetch_all("SELECT * FROM decisions ORDER BY id")


# -- the tests --------------------------------------------------------------------------------


async def test_a_poll_appears_natively_in_both_rooms_with_localized_answers_and_shared_ids(
    bot: BotRunner, rooms: RoomPair, carol: Person, beto: Person
) -> None:
    mark = beto.mark()
    await carol.send_text(rooms.english, '!poll "Do we approve the budget?"')
    english = await carol.wait_for(poll_start(rooms.english))
    spanish = await beto.wait_for(poll_start(rooms.spanish), since=mark)
    for event in (english, spanish):
        assert event.source["sender"] == bot_id(bot)
    english_poll, spanish_poll = content_of(english)[START], content_of(spanish)[START]
    assert english_poll["question"][TEXT] == "Do we approve the budget?"
    assert [a[TEXT] for a in english_poll["answers"]] == ["Yes", "No", "Abstain"]
    assert [a[TEXT] for a in spanish_poll["answers"]] == ["Sí", "No", "Abstención"]
    assert [a["id"] for a in english_poll["answers"]] == [a["id"] for a in spanish_poll["answers"]]
    assert english_poll["kind"] == "org.matrix.msc3381.poll.disclosed"
    assert "!vote" in content_of(english)[TEXT]
    assert "!votar" in content_of(spanish)[TEXT]
    announced = await beto.wait_for(notice(rooms.spanish, "iniciada por"), since=mark)
    assert "mayoría simple" in body_of(announced)


async def test_alice_and_beto_vote_natively_and_by_text_and_the_outcome_is_logged(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, dani: Person
) -> None:
    english, spanish = await open_poll(carol, rooms, '!poll "Do we approve the budget?"', beto)
    await respond(alice, rooms.english, english, ["yes"])
    await vote_by_text(beto, rooms.spanish, "!votar 2")
    # dani's client speaks the stable poll events.
    await dani.send_content(
        rooms.spanish,
        "m.poll.response",
        {"m.relates_to": {"rel_type": "m.reference", "event_id": spanish}, "m.selections": ["yes"]},
    )
    # beto changes his mind in the poll itself: his second vote replaces the first.
    await respond(beto, rooms.spanish, spanish, ["yes"])
    assert "Han votado 3 hasta ahora (US 1, MX 2)" in await turnout(
        beto, rooms.spanish, "!resultados"
    )
    assert "3 have voted" in await turnout(alice, rooms.english, "!results")

    english_result, spanish_result = await close(
        carol, rooms, (alice, rooms.english), (beto, rooms.spanish)
    )
    assert "Outcome: PASSED." in english_result
    assert "All centers: Yes 3, No 0, Abstain 0" in english_result
    assert "US: Yes 1, No 0, Abstain 0" in english_result
    assert "MX: Sí 2, No 0, Abstención 0" in spanish_result
    assert "Votaron Sí: Alice (US), Beto (MX), Dani (MX)." in spanish_result
    await alice.wait_for(poll_end_of(english))
    await beto.wait_for(poll_end_of(spanish))

    [decision] = await decisions(bot)
    assert (decision["kind"], decision["outcome"]) == ("poll", "passed")
    assert decision["text"] == "Do we approve the budget?"
    assert decision["author"] == carol.user_id


async def test_a_double_majority_that_wins_overall_but_loses_in_one_center_fails(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, dani: Person
) -> None:
    await open_poll(carol, rooms, '!poll double "Do we join the federation?"', beto)
    await vote_by_text(alice, rooms.english, "!vote yes")
    await vote_by_text(carol, rooms.english, "!vote yes")
    await vote_by_text(beto, rooms.spanish, "!votar no")
    await vote_by_text(dani, rooms.spanish, "!votar si")

    [result] = await close(carol, rooms, (alice, rooms.english))
    assert "Outcome: NOT PASSED." in result
    assert "All centers: Yes 3, No 1" in result
    assert "MX: Yes 1, No 1" in result and "threshold not reached here" in result
    [decision] = await decisions(bot)
    assert decision["outcome"] == "failed"


async def test_an_open_consensus_with_a_block_fails_and_names_the_blocker_and_reason(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    _, spanish = await open_poll(carol, rooms, '!poll consensus "We adopt the charter"', beto)
    blocked = await respond(beto, rooms.spanish, spanish, ["block"])
    asked = await beto.wait_for(reply_to(blocked))
    assert 'bloquear "tu razón"' in body_of(asked)
    await vote_by_text(beto, rooms.spanish, '!votar bloquear "no hay presupuesto"')
    await vote_by_text(alice, rooms.english, "!vote agree")

    [result] = await close(carol, rooms, (alice, rooms.english))
    assert "Outcome: NOT PASSED." in result
    assert "Blocked: Beto (MX): “no hay presupuesto”." in result


async def test_a_vote_from_someone_no_longer_in_the_rooms_is_not_counted(
    bot: BotRunner,
    rooms: RoomPair,
    alice: Person,
    beto: Person,
    carol: Person,
    synapse: LocalSynapse,
) -> None:
    english, _ = await open_poll(carol, rooms, '!poll "Do we approve the budget?"', beto)
    erin_account = synapse.register("erin-polls", PERSON_PASSWORD, displayname="Erin")
    async with Person(synapse.base_url, erin_account) as erin:
        await alice.invite(rooms.english, erin.user_id)
        # While the bot is down, erin drops in, votes and leaves: by the time the bot reads her
        # vote she is no member of the assembly.
        await bot.stop()
        await erin.join(rooms.english)
        await respond(erin, rooms.english, english, ["no"])
        await erin.leave(rooms.english)
        await bot.start()
    await respond(alice, rooms.english, english, ["yes"])
    assert "1 have voted so far (US 1, MX 0)" in await turnout(alice, rooms.english, "!results")
    [result] = await close(carol, rooms, (alice, rooms.english))
    assert "All centers: Yes 1, No 0, Abstain 0" in result


async def test_a_restart_mid_poll_loses_no_vote(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, dani: Person
) -> None:
    _, spanish = await open_poll(carol, rooms, '!poll "Do we approve the budget?"', beto)
    await vote_by_text(alice, rooms.english, "!vote 1")
    await bot.stop()
    await respond(beto, rooms.spanish, spanish, ["no"])  # sent while the bot is down
    await bot.start()
    await vote_by_text(dani, rooms.spanish, "!votar 1")
    [result] = await close(carol, rooms, (alice, rooms.english))
    assert "All centers: Yes 2, No 1, Abstain 0" in result


async def test_a_poll_closes_itself_at_its_deadline(
    bot: BotRunner, rooms: RoomPair, alice: Person, carol: Person, beto: Person
) -> None:
    await open_poll(carol, rooms, '!poll deadline=3s "Shall we break for lunch?"', beto)
    await vote_by_text(alice, rooms.english, "!vote yes")
    result = await alice.wait_for(notice(rooms.english, "closed at its deadline"))
    assert "Outcome: PASSED." in body_of(result)
    [decision] = await decisions(bot)
    assert decision["outcome"] == "passed"
