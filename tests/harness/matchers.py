"""What the integration tests wait for: predicates on (room id, event) for `Person.wait_for`.

Each tolerates malformed events: earlier tests leave hostile ones in the people's timelines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.harness.bot_runner import BotRunner
from tests.harness.person import body_of, content_of, type_of

MARKER = "org.asamblea.bot"

Matcher = Callable[[str, Any], bool]


def bot_id(bot: BotRunner) -> str:
    assert bot.app is not None
    return bot.app.config.matrix.user_id


def relation_of(event: Any) -> dict[str, Any]:
    """The event's m.relates_to, or {} when it has none or a malformed one."""
    relation = content_of(event).get("m.relates_to")
    return relation if isinstance(relation, dict) else {}


def marker_of(event: Any) -> dict[str, Any]:
    """What the bot marks its copies with, or {}."""
    marker = content_of(event).get(MARKER)
    return marker if isinstance(marker, dict) else {}


def bot_says(bot: BotRunner, room_id: str, text: str = "") -> Matcher:
    """A message from the bot in `room_id` whose body contains `text`."""

    def match(event_room: str, event: Any) -> bool:
        body = body_of(event)
        return (
            event_room == room_id
            and event.source.get("sender") == bot_id(bot)
            and body is not None
            and text in body
        )

    return match


def replies_to(event_id: str) -> Matcher:
    def match(event_room: str, event: Any) -> bool:
        parent = relation_of(event).get("m.in_reply_to")
        return isinstance(parent, dict) and parent.get("event_id") == event_id

    return match


def copy_of(source_event_id: str, room_id: str | None = None) -> Matcher:
    """The bot's mirrored copy of one source message (in `room_id`, if given); not an edit."""

    def match(event_room: str, event: Any) -> bool:
        marker = marker_of(event)
        return (
            (room_id is None or event_room == room_id)
            and marker.get("kind") == "mirror"
            and marker.get("source") == source_event_id
            and relation_of(event).get("rel_type") != "m.replace"
        )

    return match


def edit_of(event_id: str) -> Matcher:
    def match(event_room: str, event: Any) -> bool:
        relation = relation_of(event)
        return relation.get("rel_type") == "m.replace" and relation.get("event_id") == event_id

    return match


def reaction_to(event_id: str, key: str | None = None) -> Matcher:
    def match(event_room: str, event: Any) -> bool:
        relation = relation_of(event)
        return (
            type_of(event) == "m.reaction"
            and relation.get("event_id") == event_id
            and (key is None or relation.get("key") == key)
        )

    return match
