"""Fair use on the real homeserver: one person cannot make the bot flood the rooms.

beto (a member, Spanish room) fires commands in a row; carol chairs from the English room; dani
sits in the Spanish room and serves as a marker: once the bot has answered her, it has handled
everything beto sent before.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.matchers import bot_id, bot_says
from tests.harness.person import Person, body_of, content_of, type_of

BURST = 5
# A long refill keeps the test independent of how fast the machine is: no token comes back
# while beto is sending.
REFILL_SECONDS = 120


@pytest.fixture
def assembly_extra() -> str:
    return f"command_burst = {BURST}\ncommand_refill_seconds = {REFILL_SECONDS}"


def from_bot(bot: BotRunner):
    def match(room_id: str, event: Any) -> bool:
        return event.source.get("sender") == bot_id(bot)

    return match


def relation_of(event: Any) -> dict[str, Any]:
    relation = content_of(event).get("m.relates_to")
    return relation if isinstance(relation, dict) else {}


def answers(event: Any, asked: set[str]) -> bool:
    """A reply to, or a reaction on, one of the `asked` commands."""
    relation = relation_of(event)
    parent = relation.get("m.in_reply_to")
    if isinstance(parent, dict) and parent.get("event_id") in asked:
        return True
    return type_of(event) == "m.reaction" and relation.get("event_id") in asked


def reply_to(event_id: str):
    def match(room_id: str, event: Any) -> bool:
        parent = relation_of(event).get("m.in_reply_to")
        return isinstance(parent, dict) and parent.get("event_id") == event_id

    return match


async def ask(person: Person, room: str, command: str) -> str:
    asked = await person.send_text(room, command)
    return body_of(await person.wait_for(reply_to(asked))) or ""


async def handled_everything_before(dani: Person, beto: Person, room: str) -> None:
    """dani asks something; once both see the answer, the bot has handled beto's commands."""
    asked = await dani.send_text(room, "!estado")
    await dani.wait_for(reply_to(asked))
    await beto.wait_for(reply_to(asked))


async def outbox_rows(bot: BotRunner) -> list[Any]:
    assert bot.app is not None and bot.app.db is not None
    return await bot.app.db.fetch_all(
        "SELECT event_type, content, event_id, purpose FROM outbox ORDER BY id"
    )


async def test_thirty_notes_in_a_row_get_five_answers_and_one_notice_in_spanish(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, dani: Person
) -> None:
    en, es = rooms.english, rooms.spanish
    start_beto, start_alice = beto.mark(), alice.mark()
    asked = set()
    for n in range(30):
        asked.add(await beto.send_text(es, f"!nota aviso número {n}"))
    await handled_everything_before(dani, beto, es)

    await alice.next_sync()
    answered = [
        e for e in await beto.events_in(es, from_bot(bot), since=start_beto) if answers(e, asked)
    ]
    told = [
        e
        for e in await alice.events_in(en, from_bot(bot), since=start_alice)
        if "aviso número" in (body_of(e) or "")
    ]
    print(f"bot events for 30 !nota: {len(answered) + len(told)}")
    replies = [e for e in answered if type_of(e) == "m.room.message"]
    commands_answered = {relation_of(e)["m.in_reply_to"]["event_id"] for e in replies}
    # Five notes carried out, and one notice for the sixth; then silence.
    assert len(commands_answered) == BURST + 1, [body_of(e) for e in replies]
    notices = [e for e in replies if "demasiado rápido" in (body_of(e) or "")]
    assert len(notices) == 1
    assert "vuelve a intentarlo en" in body_of(notices[0])
    # The refused notes changed nothing: only five were told in the English room.
    assert len(told) == BURST
    assert len(answered) + len(told) <= 3 * BURST + 1


async def test_a_poll_with_too_many_options_is_refused_in_spanish(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    # beto chairs the meeting, so he may open polls.
    await carol.send_text(rooms.english, "!startmeeting Presupuesto")
    await alice.wait_for(lambda r, e: "Meeting started" in (body_of(e) or ""))
    await carol.send_text(rooms.english, f"!chair {beto.user_id}")
    await alice.wait_for(lambda r, e: "is now a chair" in (body_of(e) or ""))
    options = " ".join(f'"opción {n}"' for n in range(1, 22))
    answer = await ask(beto, rooms.spanish, f'!votacion "¿Qué día?" {options}')
    assert "opciones" in answer and "20" in answer, answer
    polls = await bot.app.db.fetch_all("SELECT id FROM polls")  # type: ignore[union-attr]
    assert polls == []


async def test_minutes_of_an_unchanged_meeting_are_uploaded_once(
    bot: BotRunner, rooms: RoomPair, alice: Person, carol: Person
) -> None:
    en = rooms.english
    await carol.send_text(en, "!startmeeting Presupuesto")
    await alice.wait_for(lambda r, e: r == en and "Meeting started" in (body_of(e) or ""))
    await ask(carol, en, "!agreed we rent the hall")

    def minutes_file(room_id: str, event: Any) -> bool:
        content = content_of(event)
        return (
            room_id == en
            and content.get("msgtype") == "m.file"
            and str(content.get("filename", "")).endswith("-en.md")
        )

    first_mark = alice.mark()
    await ask(carol, en, "!minutes")
    first = await alice.wait_for(minutes_file, since=first_mark)
    second_mark = alice.mark()
    await ask(carol, en, "!minutes")
    second = await alice.wait_for(minutes_file, since=second_mark)
    assert content_of(second)["url"] == content_of(first)["url"]

    # Something new in the meeting: new minutes, a new upload.
    await ask(carol, en, "!agreed we paint it green")
    third_mark = alice.mark()
    await ask(carol, en, "!minutes")
    third = await alice.wait_for(minutes_file, since=third_mark)
    assert content_of(third)["url"] != content_of(first)["url"]

    # Once sent, an outbox row keeps no payload: no minutes kept twice in the database.
    await alice.next_sync()
    rows = await outbox_rows(bot)
    sent = [row for row in rows if row["event_id"] is not None]
    assert sent
    assert all(json.loads(row["content"]) == {} for row in sent), [
        row["content"][:80] for row in sent if json.loads(row["content"])
    ]
    print(f"outbox bytes after three !minutes: {sum(len(row['content']) for row in rows)}")


async def test_a_raised_hand_by_reaction_costs_what_hand_costs(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person, dani: Person
) -> None:
    """carol (a chair, never rationed) empties the stack again and again; each time beto
    raises his hand again with a ✋ on the new stack message. Each ✋ costs what !mano costs,
    so the sixth is not announced, and his next !mano is refused."""
    en, es = rooms.english, rooms.spanish
    await carol.send_text(en, "!startmeeting Presupuesto")
    await alice.wait_for(bot_says(bot, en, "Meeting started"))
    start_alice = alice.mark()

    async def raise_again_by_reaction() -> None:
        mark = beto.mark()
        await carol.send_text(en, "!clearstack")
        stack = await beto.wait_for(bot_says(bot, es, "vació la lista de turnos"), since=mark)
        await beto.react(es, stack.event_id, "✋")

    for _ in range(BURST):
        mark = alice.mark()
        await raise_again_by_reaction()
        await alice.wait_for(bot_says(bot, en, "Beto (MX) raised a hand"), since=mark)
    await raise_again_by_reaction()
    await handled_everything_before(dani, beto, es)

    await alice.next_sync()
    raised = await alice.events_in(en, bot_says(bot, en, "Beto (MX) raised a hand"), start_alice)
    assert len(raised) == BURST
    refused = await ask(beto, es, "!mano")
    assert "demasiado rápido" in refused
