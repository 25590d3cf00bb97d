"""The bot's own messages: plain body plus escaped HTML, from catalog messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from bot.domain.events import MARKER
from bot.domain.messages import Msg
from bot.domain.names import isolate
from bot.i18n import Catalogs, name_markup


def pill(user_id: str, name: str) -> Markup:
    """A mention link that Matrix clients show as a pill; the name isolated, as everywhere."""
    return Markup('<a href="https://matrix.to/#/{}">{}</a>').format(
        user_id, name_markup(name, bold=False)
    )


def bot_message(
    catalogs: Catalogs,
    language: str,
    lines: Sequence[Msg],
    *,
    msgtype: str,
    reply_to: str | None = None,
    mentions: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """Content of one bot message, of the msgtype the outcome's rule gave it
    (`bot.domain.outcomes.msgtype_of`).

    `m.mentions` names exactly the people it pings, and is empty otherwise, so that a name
    inside a title never pings anyone by accident.
    """
    body = "\n".join(catalogs.text(language, line) for line in lines)
    html = Markup("<br>").join(catalogs.html(language, line) for line in lines)
    if mentions:
        body += "\n" + " ".join(isolate(name) for _, name in mentions)
        html += Markup("<br>") + Markup(" ").join(pill(uid, name) for uid, name in mentions)
    content: dict[str, Any] = {
        "msgtype": msgtype,
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": str(html),
        "m.mentions": {"user_ids": [uid for uid, _ in mentions]} if mentions else {},
        MARKER: {"kind": "notice"},
    }
    if reply_to:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
    return content


def reaction(event_id: str, key: str) -> dict[str, Any]:
    return {
        "m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key},
        MARKER: {"kind": "reaction"},
    }
