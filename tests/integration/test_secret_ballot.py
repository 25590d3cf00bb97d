"""Secret polls on a real homeserver: ballots are cast in a direct chat with the bot, the rooms
see only turnout and the result, and the database keeps no link between a voter and a choice.

alice and carol sit in the English room (center US), beto and dani in the Spanish room (MX);
carol chairs.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import pytest

from bot.cli.devserver import LocalSynapse
from tests.conftest import BOT_LOCALPART, PERSON_PASSWORD
from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.person import Person, body_of, content_of, type_of
from tests.integration.conftest import joined
from tests.integration.test_polls import (
    START,
    TEXT,
    close,
    notice,
    poll_start,
    reaction_to,
    reply_to,
    respond,
    turnout,
)

WINDOW = 400  # bytes either side of a voter's trace that must not hold their choice


@pytest.fixture
def bot_config(bot_config: Path) -> Path:
    """Encryption off, on purpose: what these tests look at (what the database file keeps, a
    block's reason without its blocker, who gets a ballot) happens in the bot whatever the
    chats' transport, and plain clients keep these many polls quick. The same road with
    encryption on, as members take it (`!ballot`, an encrypted chat, the ballot in each one's
    language, every vote counted, nothing sent in clear) is `test_ballot_road.py`'s encrypted
    run."""
    text = bot_config.read_text(encoding="utf-8")
    bot_config.write_text(text.replace("[matrix]\n", "[matrix]\nencryption = false\n", 1))
    return bot_config


async def open_secret_poll(chair: Person, rooms: RoomPair, command: str, *watchers: Person) -> None:
    """The chair opens a secret poll from the English room; it is announced in every room."""
    marks = [(person, person.mark()) for person in (chair, *watchers)]
    await chair.send_text(rooms.english, command)
    await chair.wait_for(notice(rooms.english, "started by"), since=marks[0][1])
    for person, mark in marks[1:]:
        await person.wait_for(notice(rooms.spanish, "iniciada por"), since=mark)


async def ballot_chat(person: Person, room_id: str, command: str) -> tuple[str, str]:
    """The person asks for a ballot in an assembly room and joins the direct chat the bot opens;
    the chat's id and the ballot's (a native poll's) event id."""
    mark = person.mark()
    asked = await person.send_text(room_id, command)
    await person.wait_for(reply_to(asked), since=mark)
    chat = await person.wait_for_invite(since=mark)
    await person.join(chat)
    ballot = await person.wait_for(poll_start(chat), since=mark)
    return chat, ballot.source["event_id"]


def database_bytes(bot: BotRunner) -> bytes:
    """The database file and its write-ahead log, byte for byte, as a thief would read them."""
    assert bot.app is not None
    path = Path(bot.app.config.database_path)
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def traces_near(data: bytes, trace: str, marks: list[bytes]) -> list[str]:
    """Every place where `trace` (a voter's id, chat or event) has one of `marks` nearby."""
    found = []
    needle = trace.encode()
    start = data.find(needle)
    while start != -1:
        window = data[max(0, start - WINDOW) : start + len(needle) + WINDOW]
        found += [f"{trace} near {mark!r}" for mark in marks if mark in window]
        start = data.find(needle, start + 1)
    return found


def voter_hash(key: str, user_id: str) -> str:
    return hmac.new(bytes.fromhex(key), user_id.encode(), hashlib.sha256).hexdigest()[:32]


def from_bot(bot: BotRunner, room_id: str):
    def match(event_room: str, event: Any) -> bool:
        return event_room == room_id and event.source.get("sender") == bot_user(bot)

    return match


def bot_user(bot: BotRunner) -> str:
    assert bot.app is not None
    return bot.app.config.matrix.user_id


# -- the tests --------------------------------------------------------------------------------


async def test_after_a_secret_poll_closes_the_database_file_links_no_voter_to_a_choice(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    assert bot.app is not None and bot.app.db is not None
    await open_secret_poll(carol, rooms, '!poll secret "Do we approve the budget?"', beto)
    [row] = await bot.app.db.fetch_all("SELECT ballot_key FROM polls")
    key = row["ballot_key"]
    alice_chat, alice_ballot = await ballot_chat(alice, rooms.english, "!ballot")
    beto_chat, _ = await ballot_chat(beto, rooms.spanish, "!papeleta")
    alice_vote = await respond(alice, alice_chat, alice_ballot, ["no"])
    beto_vote = await beto.send_text(beto_chat, "!votar si")
    await beto.wait_for(reaction_to(beto_vote))
    assert "2 have voted" in await turnout(alice, rooms.english, "!results")
    [result] = await close(carol, rooms, (alice, rooms.english))
    assert "All centers: Yes 1, No 1" in result

    data = database_bytes(bot)
    assert key.encode() not in data
    for user in (alice.user_id, beto.user_id):
        assert voter_hash(key, user).encode() not in data
    assert b"!votar si" not in data
    alice_choice, beto_choice = [b'["no"]', b'"no"]'], [b'["yes"]', b'"yes"]']
    leaks = traces_near(data, alice_vote, alice_choice)
    leaks += traces_near(data, alice_chat, alice_choice)
    leaks += traces_near(data, alice.user_id, alice_choice)
    leaks += traces_near(data, beto_vote, beto_choice)
    leaks += traces_near(data, beto_chat, beto_choice)
    leaks += traces_near(data, beto.user_id, beto_choice)
    assert not leaks
    assert await bot.app.db.fetch_all("SELECT * FROM poll_responses") == []


async def test_ballots_come_in_each_persons_language_and_votes_count_from_the_chat_only(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, dani: Person
) -> None:
    marks = {person: person.mark() for person in (alice, beto)}
    await open_secret_poll(carol, rooms, '!poll secret "Do we approve the budget?"', beto)
    # The rooms get an announcement, with the answers and where to vote, but no poll to answer.
    announced = await beto.wait_for(notice(rooms.spanish, "iniciada por"), since=marks[beto])
    assert "!papeleta" in body_of(announced) and "1. Sí" in body_of(announced)
    assert beto.count(rooms.spanish, poll_start(rooms.spanish), since=marks[beto]) == 0

    # A vote in the Spanish room is refused, in Spanish, and not counted.
    said = await beto.send_text(rooms.spanish, "!votar si")
    refused = body_of(await beto.wait_for(reply_to(said)))
    assert "es secreta" in refused and "!papeleta" in refused and "no cuenta" in refused
    assert "0 have voted" in await turnout(alice, rooms.english, "!results")

    # beto's ballot is in Spanish; dani invites the bot to a chat of her own.
    beto_chat, beto_ballot = await ballot_chat(beto, rooms.spanish, "!papeleta")
    [start] = [e for r, e in beto.events if e.source.get("event_id") == beto_ballot]
    answers = [a[TEXT] for a in content_of(start)[START]["answers"]]
    assert answers == ["Sí", "No", "Abstención"]
    mark = dani.mark()
    dani_chat = await dani.create_room(invite=[bot_user(bot)], is_direct=True)
    dani_ballot = await dani.wait_for(poll_start(dani_chat), since=mark)
    alice_chat, alice_ballot = await ballot_chat(alice, rooms.english, "!ballot")

    await respond(beto, beto_chat, beto_ballot, ["yes"])
    await respond(dani, dani_chat, dani_ballot.source["event_id"], ["no"])
    voted = await alice.send_text(alice_chat, "!vote 1")
    await alice.wait_for(reaction_to(voted))
    # alice changes her mind in the poll itself: her latest vote counts.
    await respond(alice, alice_chat, alice_ballot, ["abstain"])
    # One voter in the US and two in Mexico: below the floor, no center's turnout is shown.
    assert "Han votado 3 hasta ahora (US reservado, MX reservado)" in await turnout(
        beto, rooms.spanish, "!resultados"
    )
    english_result, spanish_result = await close(
        carol, rooms, (alice, rooms.english), (beto, rooms.spanish)
    )
    assert "All centers: Yes 1, No 1, Abstain 1" in english_result
    assert "MX: se reserva para mantener el voto secreto." in spanish_result
    # The rooms saw turnout and the result, never who voted or how.
    for person, room in ((alice, rooms.english), (beto, rooms.spanish)):
        for event in await person.events_in(room, from_bot(bot, room)):
            text = body_of(event) or ""
            assert not any(name in text for name in ("Alice", "Beto", "Dani")), text


async def test_a_secret_consensus_with_a_block_gives_the_reason_but_not_the_blocker(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    await open_secret_poll(carol, rooms, '!poll secret consensus "We adopt the charter"', beto)
    beto_chat, _ = await ballot_chat(beto, rooms.spanish, "!papeleta")
    alice_chat, alice_ballot = await ballot_chat(alice, rooms.english, "!ballot")
    blocked = await beto.send_text(beto_chat, '!votar bloquear "no hay presupuesto"')
    await beto.wait_for(reaction_to(blocked))
    await respond(alice, alice_chat, alice_ballot, ["agree"])
    # A vote answered in the poll itself gets no reply; a round trip in the same chat shows the
    # bot has handled it (each room's events are handled in order, rooms side by side).
    asked = await alice.send_text(alice_chat, "!help")
    await alice.wait_for(reply_to(asked))
    assert "2 have voted" in await turnout(alice, rooms.english, "!results")

    [result, spanish_result] = await close(
        carol, rooms, (alice, rooms.english), (beto, rooms.spanish)
    )
    assert "Outcome: NOT PASSED." in result
    # Mexico's one ballot is below the floor: the reason is given, not where it came from.
    assert "Blocked: someone: “no hay presupuesto”." in result
    for text in (result, spanish_result):
        assert "Beto" not in text and "Alice" not in text
    assert bot.app is not None and bot.app.db is not None
    [decision] = await bot.app.db.fetch_all("SELECT * FROM decisions")
    assert beto.user_id not in decision["details"] and alice.user_id not in decision["details"]


async def test_only_members_of_the_assembly_get_a_ballot(
    bot: BotRunner, rooms: RoomPair, alice: Person, synapse: LocalSynapse, accounts
) -> None:
    bot_id = accounts[BOT_LOCALPART].user_id
    account = synapse.register("erin-ballots", PERSON_PASSWORD, displayname="Erin")
    async with Person(synapse.base_url, account) as erin:
        chat = await erin.create_room(invite=[bot_id], is_direct=True)
        # A round trip through the bot proves it has seen the invite by now.
        asked = await alice.send_text(rooms.english, "!help")
        await alice.wait_for(reply_to(asked))
        await erin.next_sync()
        assert erin.count(chat, lambda r, e: joined(e, bot_id)) == 0
        assert erin.count(chat, lambda r, e: type_of(e) == START) == 0
