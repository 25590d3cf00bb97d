"""Hostile and odd input: the bot answers, escapes, and never crashes."""

from __future__ import annotations

from typing import Any

from tests.harness.bot_runner import BotRunner, RoomPair
from tests.harness.libretranslate import FakeLibreTranslate
from tests.harness.matchers import copy_of, replies_to
from tests.harness.person import MatrixRequestError, Person, body_of, content_of


def field(event: Any, key: str) -> dict[str, Any]:
    """A content field that should be an object; {} when it is not (these events are odd)."""
    value = content_of(event).get(key)
    return value if isinstance(value, dict) else {}


async def test_malformed_events_are_survived_and_the_bot_keeps_serving(
    bot: BotRunner, rooms: RoomPair, alice: Person
) -> None:
    malformed: list[tuple[str, dict[str, Any]]] = [
        ("m.room.message", {"msgtype": "m.text", "body": 42}),
        ("m.room.message", {"body": "no msgtype"}),
        ("m.room.message", {"msgtype": "m.text", "body": "x", "m.relates_to": "not an object"}),
        (
            "m.room.message",
            {"msgtype": "m.text", "body": "x", "m.relates_to": {"m.in_reply_to": 7}},
        ),
        ("m.room.message", {"msgtype": "m.text", "body": "!help", "format": 3}),
        (
            "m.room.message",
            {
                "msgtype": "m.text",
                "body": "* edit",
                "m.new_content": "nope",
                "m.relates_to": {"rel_type": "m.replace", "event_id": "$missing"},
            },
        ),
        ("m.room.message", {"msgtype": "m.image", "body": ["list"], "url": 5}),
        ("m.reaction", {"m.relates_to": {"rel_type": "m.annotation", "event_id": 1, "key": None}}),
        (
            "org.matrix.msc3381.poll.response",
            {"m.relates_to": {"event_id": "$nowhere"}, "org.matrix.msc3381.poll.response": "yes"},
        ),
        ("m.poll.response", {"m.selections": [None, {}]}),
        ("com.example.unknown", {"anything": ["goes"]}),
    ]
    accepted = 0
    for event_type, content in malformed:
        try:
            await alice.send_content(rooms.english, event_type, content)
            accepted += 1
        except MatrixRequestError:
            pass  # the homeserver itself refused it: it never reaches the bot
    assert accepted >= len(malformed) // 2
    asked = await alice.send_text(rooms.english, "!help")
    answer = await alice.wait_for(replies_to(asked), timeout=30)
    assert "Asamblea commands" in body_of(answer)


async def test_markup_in_a_name_and_a_message_is_escaped_in_the_copy(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person
) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    await alice.set_display_name(hostile)
    # The homeserver spreads a new name to the rooms in the background: wait until it is there.
    await alice.wait_for(
        lambda r, e: r == rooms.english and content_of(e).get("displayname") == hostile
    )
    try:
        said = await alice.send_text(
            rooms.english,
            "<script>alert(1)</script> hello",
            format="org.matrix.custom.html",
            formatted_body="<b onclick='x()'>bold</b><script>alert(1)</script>",
        )
        copy = await beto.wait_for(copy_of(said))
        html = content_of(copy)["formatted_body"]
        assert "<script>" not in html and "<img" not in html and "onclick" not in html
        assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    finally:
        await alice.set_display_name("Alice")


async def test_oversize_right_to_left_zero_width_and_emoji_only_messages_are_mirrored(
    bot: BotRunner, rooms: RoomPair, alice: Person, beto: Person, translator: FakeLibreTranslate
) -> None:
    big = ("hello world " * 5000)[:60_000]
    emoji = "👍🏽🎉"
    tricky = "hello\u200b\u202eworld\u202c \u05e9\u05dc\u05d5\u05dd"
    sent = [await alice.send_text(rooms.english, text) for text in (big, emoji, tricky)]
    copies = [await beto.wait_for(copy_of(source), timeout=60) for source in sent]
    assert body_of(copies[1]).startswith(f"Alice (US): {emoji}")
    assert emoji not in translator.requests  # emoji-only never goes to the translator
    assert "hola" in body_of(copies[0])
    assert "\u202e" in body_of(copies[2])
