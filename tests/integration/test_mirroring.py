"""Mirroring between the English and the Spanish room, on the real homeserver.

The translator is the LibreTranslate look-alike on loopback, reached through deep-translator's
own LibreTranslator client: "hello everyone" becomes "hola todos".
"""

from __future__ import annotations

from typing import Any

from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.libretranslate import FakeLibreTranslate, fake_translate
from tests.harness.matchers import bot_id, copy_of, edit_of
from tests.harness.person import Person, body_of, content_of, type_of
from tests.harness.reading import as_read

MARKER = "org.asamblea.bot"


async def test_alice_is_read_in_spanish_and_beto_answers_as_a_reply(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    said = await alice.send_text(rooms.english, "hello everyone")
    copy = await beto.wait_for(copy_of(said, rooms.spanish))
    body = body_of(copy)
    assert body.startswith("Alice (US) [traducción automática]: hola todos")
    assert "Original (inglés)" in body and "> hello everyone" in body
    assert (
        "<details><summary>Original (inglés)</summary>hello everyone</details>"
        in (content_of(copy)["formatted_body"])
    )

    answer = await beto.send_text(
        rooms.spanish, "gracias", **{"m.relates_to": {"m.in_reply_to": {"event_id": copy.event_id}}}
    )
    mirrored = await alice.wait_for(copy_of(answer, rooms.english))
    assert body_of(mirrored).startswith("Beto (MX) [machine translation]: thank you")
    relation = content_of(mirrored)["m.relates_to"]
    assert relation["m.in_reply_to"]["event_id"] == said


async def test_an_edit_updates_the_copy_and_a_redaction_removes_it(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    said = await alice.send_text(rooms.english, "hello world")
    copy = await beto.wait_for(copy_of(said, rooms.spanish))
    assert "hola mundo" in body_of(copy)

    await alice.edit(rooms.english, said, "goodbye world")
    edit = await beto.wait_for(edit_of(copy.event_id))
    assert "adiós mundo" in content_of(edit)["m.new_content"]["body"]
    # An edit is never a new message: no second copy appears.
    later = await alice.send_text(rooms.english, "hello")
    await beto.wait_for(copy_of(later, rooms.spanish))
    assert beto.count(rooms.spanish, copy_of(said, rooms.spanish)) == 1

    await alice.redact(rooms.english, said, reason="wrong room")

    def redacts_copy(room_id: str, event: Any) -> bool:
        redacted = event.source.get("redacts") or content_of(event).get("redacts")
        return type_of(event) == "m.room.redaction" and redacted == copy.event_id

    await beto.wait_for(redacts_copy)


async def test_a_mention_survives_translation_and_still_pings(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    said = await alice.send_text(
        rooms.english,
        f"hello {beto.user_id} see https://example.org/the/proposal and `the code`",
        **{"m.mentions": {"user_ids": [beto.user_id]}},
    )
    copy = await beto.wait_for(copy_of(said, rooms.spanish))
    assert f"hola {beto.user_id} ver https://example.org/the/proposal y `the code`" in body_of(copy)
    assert content_of(copy)["m.mentions"] == {"user_ids": [beto.user_id]}


async def test_a_burst_from_both_rooms_arrives_once_each_in_order(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    english = [await alice.send_text(rooms.english, f"alice {n}") for n in range(25)]
    spanish = [await beto.send_text(rooms.spanish, f"beto {n}") for n in range(25)]
    for source in english:
        await beto.wait_for(copy_of(source, rooms.spanish), timeout=60)
    for source in spanish:
        await alice.wait_for(copy_of(source, rooms.english), timeout=60)

    def bodies(person: Person, room: str, prefix: str) -> list[str]:
        return [
            body_of(event).split(": ", 1)[1].split("\n")[0]
            for event_room, event in person.events
            if event_room == room
            and (content_of(event).get(MARKER) or {}).get("kind") == "mirror"
            and prefix in (body_of(event) or "")
        ]

    assert bodies(beto, rooms.spanish, "Alice (US)") == [
        fake_translate(f"alice {n}", "en", "es") for n in range(25)
    ]
    assert bodies(alice, rooms.english, "Beto (MX)") == [
        fake_translate(f"beto {n}", "es", "en") for n in range(25)
    ]


async def test_the_bots_own_messages_are_never_mirrored(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    asked = await alice.send_text(rooms.english, "!help")
    said = await alice.send_text(rooms.english, "hello")
    await beto.wait_for(copy_of(said, rooms.spanish))
    copy = await alice.send_text(rooms.english, "thank you")
    await beto.wait_for(copy_of(copy, rooms.spanish))
    await alice.next_sync()
    # Neither the command, nor the bot's answer, nor its copies came back around.
    assert beto.count(rooms.spanish, copy_of(asked, rooms.spanish)) == 0
    assert beto.count(rooms.spanish, lambda r, e: "Asamblea commands" in (body_of(e) or "")) == 0
    mirrored_back = alice.count(
        rooms.english,
        lambda r, e: (
            (content_of(e).get(MARKER) or {}).get("room") == rooms.spanish
            and e.source.get("sender") == bot_id(bot)
        ),
    )
    assert mirrored_back == 0


async def test_with_the_translator_down_copies_go_out_pending_and_are_edited_later(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, translator: FakeLibreTranslate
) -> None:
    translator.fail_next(1000, status=503)
    said = await alice.send_text(rooms.english, "good morning friends")
    copy = await beto.wait_for(copy_of(said, rooms.spanish))
    assert body_of(copy).startswith("Alice (US) [traducción pendiente]: good morning friends")

    translator.heal()
    edit = await beto.wait_for(edit_of(copy.event_id), timeout=30)
    new_body = as_read(content_of(edit)["m.new_content"]["body"])
    assert new_body.startswith("Alice (US) [traducción automática]: buenos días amigos")


async def test_with_the_translator_hanging_commands_are_still_answered(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, translator: FakeLibreTranslate
) -> None:
    translator.hang = True
    said = await alice.send_text(rooms.english, "the new proposal")
    asked = await beto.send_text(rooms.spanish, "!estado")
    answer = await beto.wait_for(
        lambda r, e: (
            (content_of(e).get("m.relates_to") or {}).get("m.in_reply_to", {}).get("event_id")
            == asked
        ),
        timeout=10,
    )
    assert "Espejo: activo." in body_of(answer)
    # The message is not lost either: it goes out untranslated once the translator times out.
    copy = await beto.wait_for(copy_of(said, rooms.spanish), timeout=30)
    assert "traducción pendiente" in body_of(copy)
    translator.release()


async def test_a_chair_pauses_and_resumes_mirroring(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, carol: Person
) -> None:
    refused = await alice.send_text(rooms.english, "!pause")
    await alice.wait_for(lambda r, e: "Only a chair" in (body_of(e) or "") and r == rooms.english)
    assert refused

    await carol.send_text(rooms.english, "!pause")
    await beto.wait_for(lambda r, e: "pausó el espejo" in (body_of(e) or ""))
    private = await alice.send_text(rooms.english, "hello")
    await carol.send_text(rooms.english, "!resume")
    await beto.wait_for(lambda r, e: "reanudó el espejo" in (body_of(e) or ""))
    public = await alice.send_text(rooms.english, "goodbye")
    await beto.wait_for(copy_of(public, rooms.spanish))
    assert beto.count(rooms.spanish, copy_of(private, rooms.spanish)) == 0


async def test_an_image_is_reposted_with_its_caption_translated(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    image = {
        "msgtype": "m.image",
        "body": "look at the new house",
        "filename": "house.png",
        "url": "mxc://localhost/abcdefg",
        "info": {"mimetype": "image/png", "size": 1234, "w": 10, "h": 10},
    }
    said = await alice.send_content(rooms.english, "m.room.message", image)
    copy = content_of(await beto.wait_for(copy_of(said, rooms.spanish)))
    assert copy["msgtype"] == "m.image"
    assert copy["url"] == image["url"] and copy["info"] == image["info"]
    assert copy["filename"] == "house.png"
    assert as_read(copy["body"]) == "Alice (US) [traducción automática]: mira en el nuevo casa"


async def test_a_thread_continues_in_the_counterpart_thread(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    root = await alice.send_text(rooms.english, "the proposal")
    root_copy = await beto.wait_for(copy_of(root, rooms.spanish))
    answer = await beto.send_text(
        rooms.spanish,
        "sí",
        **{
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": root_copy.event_id,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": root_copy.event_id},
            }
        },
    )
    mirrored = await alice.wait_for(copy_of(answer, rooms.english))
    relation = content_of(mirrored)["m.relates_to"]
    assert relation["rel_type"] == "m.thread"
    assert relation["event_id"] == root
