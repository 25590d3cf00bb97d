"""Raw Matrix events become `IncomingEvent`s: typed, validated, relations unpacked.

Everything downstream can trust these fields. Events with missing or wrongly typed fields are
normalized to None here rather than crashing a handler later.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

MESSAGE = "m.room.message"
STICKER = "m.sticker"
REACTION = "m.reaction"
REDACTION = "m.room.redaction"
MEMBER = "m.room.member"
POLL_RESPONSE_TYPES = ("org.matrix.msc3381.poll.response", "m.poll.response")
MARKER = "org.asamblea.bot"


@dataclass(frozen=True)
class IncomingEvent:
    event_id: str
    room_id: str
    sender: str
    ts: int
    type: str
    content: dict[str, Any]
    state_key: str | None = None
    redacts: str | None = None
    rel_type: str | None = None
    relates_to: str | None = None
    in_reply_to: str | None = None
    thread_root: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def msgtype(self) -> str | None:
        value = self.content.get("msgtype")
        return value if isinstance(value, str) else None

    @property
    def body(self) -> str:
        value = self.content.get("body")
        return value if isinstance(value, str) else ""

    @property
    def formatted_body(self) -> str | None:
        if self.content.get("format") != "org.matrix.custom.html":
            return None
        value = self.content.get("formatted_body")
        return value if isinstance(value, str) else None

    @property
    def is_edit(self) -> bool:
        return self.rel_type == "m.replace"

    @property
    def new_content(self) -> dict[str, Any] | None:
        value = self.content.get("m.new_content")
        return value if isinstance(value, dict) else None

    @property
    def from_a_bot(self) -> bool:
        """Carries Asamblea's marker: ours, or another Asamblea's. Never mirrored or obeyed."""
        return MARKER in self.content

    @property
    def is_own_membership(self) -> bool:
        return self.type == MEMBER and self.state_key == self.sender

    @property
    def membership(self) -> str | None:
        value = self.content.get("membership")
        return value if isinstance(value, str) else None


def normalize(room_id: str, source: Any) -> IncomingEvent | None:
    """None for anything that is not a well-formed event (never raises)."""
    if not isinstance(source, dict):
        return None
    event_id, sender, event_type = (source.get(k) for k in ("event_id", "sender", "type"))
    ts = source.get("origin_server_ts")
    if not all(isinstance(v, str) and v for v in (event_id, sender, event_type)):
        return None
    if isinstance(ts, bool) or not isinstance(ts, int):
        return None
    content = source.get("content")
    if not isinstance(content, dict):
        content = {}
    relation = content.get("m.relates_to")
    relation = relation if isinstance(relation, dict) else {}
    rel_type = _string(relation.get("rel_type"))
    reply = relation.get("m.in_reply_to")
    in_reply_to = _string(reply.get("event_id")) if isinstance(reply, dict) else None
    redacts = _string(source.get("redacts")) or _string(content.get("redacts"))
    return IncomingEvent(
        event_id=event_id,
        room_id=room_id,
        sender=sender,
        ts=ts,
        type=event_type,
        content=content,
        state_key=_string(source.get("state_key")),
        redacts=redacts,
        rel_type=rel_type,
        relates_to=_string(relation.get("event_id")),
        in_reply_to=None if relation.get("is_falling_back") else in_reply_to,
        thread_root=_string(relation.get("event_id")) if rel_type == "m.thread" else None,
        raw=source,
    )


# What is kept of a normalized event when it is stored for later (a mirror job): every field but
# the room, stored beside it, and the raw event, never read again.
RECORDED = tuple(f.name for f in fields(IncomingEvent) if f.name not in ("room_id", "raw"))


def to_record(event: IncomingEvent) -> dict[str, Any]:
    """The event's fields, ready for JSON; `from_record` gives it back without normalizing it
    again."""
    return {name: getattr(event, name) for name in RECORDED}


def from_record(room_id: str, record: Any) -> IncomingEvent | None:
    """The event `to_record` stored; None if the record is not one (never raises)."""
    if not isinstance(record, dict) or any(name not in record for name in RECORDED):
        return None
    return IncomingEvent(room_id=room_id, **{name: record[name] for name in RECORDED})


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
