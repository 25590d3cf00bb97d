"""Content of mirrored messages: attributed, translated, the original kept alongside.

Everything a person wrote is escaped: the original's own HTML is never passed through.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from markupsafe import Markup, escape

from bot.domain.events import MARKER, MESSAGE, STICKER
from bot.domain.interpretation import Origin
from bot.domain.messages import Msg, Name
from bot.domain.mirror import (
    MEDIA_MSGTYPES,
    CopyEdit,
    CopyRedaction,
    CopyRelation,
    MirrorCopy,
    MirrorText,
    Speaker,
)
from bot.domain.names import isolate
from bot.domain.outbox import outbox_ref
from bot.domain.outcomes import EMOTE, copy_msgtype
from bot.domain.polls import joined
from bot.domain.text_protection import GlossaryUse
from bot.i18n import Catalogs, name_markup


def _lines(text: str) -> Markup:
    return Markup("<br>").join(escape(line) for line in text.split("\n"))


# The label each origin of a copy's words gets; as written needs none, unless it is in a
# language the room does not speak (`MirrorText.left_untranslated`).
_LABELS = {
    Origin.PENDING: "mirror.pending",
    Origin.MACHINE: "mirror.machine_translation",
    Origin.INTERPRETER: "mirror.interpreted_by",
    Origin.MEMORY: "mirror.interpreted_from_memory",
}


# The most glossary terms a label names; the rest are counted.
MAX_LABELLED_TERMS = 3


def label_of(text: MirrorText) -> Msg | None:
    # Over the speaker's share says why it is untranslated, which is more than "not translated".
    if text.over_share and text.kind is Origin.AS_WRITTEN:
        return Msg.of("mirror.over_share")
    if text.left_untranslated:
        return Msg.of("mirror.not_translated")
    key = _LABELS.get(text.kind)
    if key is None:
        return None
    if text.interpreted:
        label = Msg.of(key, name=Name(text.interpreter or "", bold=False))
    else:
        label = Msg.of(key)
    if text.kind is Origin.MACHINE and text.glossary:
        return Msg.of("mirror.with_glossary", label=label, terms=_glossary_terms(text.glossary))
    return label


def _glossary_terms(uses: tuple[GlossaryUse, ...]) -> Msg | Any:
    """ "no → YES, May First (kept)": what the chat's glossary changed in a machine translation."""
    named: list[Msg] = [
        Msg.of("mirror.glossary_kept", term=use.term)
        if use.keeps
        else Msg.of("mirror.glossary_term", term=use.term, translation=use.replacement)
        for use in uses[:MAX_LABELLED_TERMS]
    ]
    if len(uses) > MAX_LABELLED_TERMS:
        named.append(Msg.of("mirror.glossary_more", count=len(uses) - MAX_LABELLED_TERMS))
    return joined(named)


def _header(catalogs: Catalogs, speaker: Speaker, text: MirrorText) -> tuple[str, Markup]:
    """The attribution, "Alice (US) [machine translation]". The name is isolated, so that
    neither a line break nor a right-to-left name can forge another line or turn the label
    around."""
    plain = f"{isolate(speaker.name)} ({speaker.center})"
    html = Markup("{} ({})").format(name_markup(speaker.name), speaker.center)
    label = label_of(text)
    if label:
        plain += f" [{catalogs.text(text.target_language, label)}]"
        html += Markup(" <sup>[{}]</sup>").format(catalogs.html(text.target_language, label))
    return plain, html


def _original_block(catalogs: Catalogs, text: MirrorText) -> tuple[str, Markup]:
    if not (text.translated or text.interpreted) or not text.original.strip():
        return "", Markup("")
    label = catalogs.text(
        text.target_language,
        Msg.of("mirror.original", language=Msg.of(f"language.{text.source_language}")),
    )
    quoted = "\n".join(f"> {line}" for line in text.original.split("\n"))
    plain = f"\n\n{label}:\n{quoted}"
    html = Markup("<details><summary>{}</summary>{}</details>").format(label, _lines(text.original))
    return plain, html


# Matrix refuses events over 64 KiB; the envelope (ids, signatures, hashes) needs some of it.
MAX_CONTENT_BYTES = 60_000
TRUNCATED = " […]"


def content_size(content: dict[str, Any]) -> int:
    return len(json.dumps(content).encode())  # ASCII-escaped, as clients send JSON: the worst case


def text_content(
    catalogs: Catalogs, speaker: Speaker, msgtype: str, text: MirrorText
) -> dict[str, Any]:
    """A mirrored text, notice or emote that fits in one event.

    A long message and its translation together may not: then the original is left out (it is
    one click away, in the source room), and if even the translation alone is too long it is cut.
    """
    content = _text_content(catalogs, speaker, msgtype, text, with_original=True)
    if content_size(content) <= MAX_CONTENT_BYTES:
        return content
    content = _text_content(catalogs, speaker, msgtype, text, with_original=False)
    low, high = 0, len(text.shown)
    while content_size(content) > MAX_CONTENT_BYTES and high - low > 1:
        middle = (low + high) // 2
        cut = replace(text, shown=text.shown[:middle] + TRUNCATED)
        content = _text_content(catalogs, speaker, msgtype, cut, with_original=False)
        if content_size(content) > MAX_CONTENT_BYTES:
            high = middle
        else:
            low = middle
    if content_size(content) > MAX_CONTENT_BYTES:
        cut = replace(text, shown=text.shown[:low] + TRUNCATED)
        content = _text_content(catalogs, speaker, msgtype, cut, with_original=False)
    return content


def _text_content(
    catalogs: Catalogs, speaker: Speaker, msgtype: str, text: MirrorText, *, with_original: bool
) -> dict[str, Any]:
    """An emote stays an emote, which clients show after the sender's name, the bot's: so it
    reads "* Asamblea Alice (US) waves"."""
    head_plain, head_html = _header(catalogs, speaker, text)
    original_plain, original_html = (
        _original_block(catalogs, text) if with_original else ("", Markup(""))
    )
    if msgtype == EMOTE:
        body = f"{head_plain} {text.shown}"
        html = Markup("{} {}").format(head_html, _lines(text.shown))
    else:
        body = f"{head_plain}: {text.shown}"
        html = Markup("{}: {}").format(head_html, _lines(text.shown))
    return {
        "msgtype": msgtype,
        "body": body + original_plain,
        "format": "org.matrix.custom.html",
        "formatted_body": str(html + original_html),
    }


def media_content(
    catalogs: Catalogs, speaker: Speaker, source: dict[str, Any], caption: MirrorText | None
) -> dict[str, Any]:
    """The same media (same mxc URL or encrypted file), with an attributed, translated caption."""
    kept = {k: source[k] for k in ("msgtype", "url", "file", "info", "filename") if k in source}
    filename = source.get("filename") or source.get("body") or ""
    kept["filename"] = filename
    head_plain, head_html = _header(
        catalogs,
        speaker,
        caption or MirrorText(filename, filename, "", "", pending=False),
    )
    shown = caption.shown if caption else filename
    kept["body"] = f"{head_plain}: {shown}"
    kept["format"] = "org.matrix.custom.html"
    kept["formatted_body"] = str(Markup("{}: {}").format(head_html, _lines(shown)))
    return kept


def mark(content: dict[str, Any], source_event_id: str, source_room_id: str) -> dict[str, Any]:
    """Every mirrored message says where it came from, so no bot mirrors it again."""
    content[MARKER] = {"kind": "mirror", "source": source_event_id, "room": source_room_id}
    return content


def replacement(new_content: dict[str, Any], target: Any) -> dict[str, Any]:
    """An edit of one of the bot's copies (m.replace), carrying the complete new content."""
    new = {k: v for k, v in new_content.items() if k not in ("m.relates_to", MARKER)}
    edit = {
        "msgtype": new.get("msgtype", "m.text"),
        "body": "* " + str(new.get("body", "")),
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": target},
        "m.mentions": {},
    }
    if "formatted_body" in new:
        edit["format"] = "org.matrix.custom.html"
        edit["formatted_body"] = "* " + str(new["formatted_body"])
    if MARKER in new_content:
        edit[MARKER] = new_content[MARKER]
    return edit


def copy_content(catalogs: Catalogs, copy: MirrorCopy) -> dict[str, Any]:
    """The event content of a copy: attributed words or media, marked, related, with mentions.

    `m.mentions` is always present, so that clients do not fall back to matching names in the
    body; it never pings a whole room on a member's behalf."""
    source = copy.source_content
    msgtype = source.get("msgtype")
    if copy.event_type == STICKER or msgtype in MEDIA_MSGTYPES:
        caption = copy.words if copy.words.original else None
        content = media_content(catalogs, copy.speaker, source, caption)
        if copy.event_type == STICKER:
            content.pop("msgtype", None)
    else:
        content = text_content(catalogs, copy.speaker, copy_msgtype(msgtype), copy.words)
    content = mark(content, copy.source_event_id, copy.source_room_id)
    relation = relation_content(copy.relation) if copy.relation else None
    if relation:
        content["m.relates_to"] = relation
    content["m.mentions"] = {"user_ids": list(copy.mentions)} if copy.mentions else {}
    return content


def copy_event_type(copy: MirrorCopy) -> str:
    return STICKER if copy.event_type == STICKER else MESSAGE


def relation_content(relation: CopyRelation) -> dict[str, Any] | None:
    """The reply or thread relation of a copy, pointed at the counterparts in its room."""
    if relation.thread_root is not None:
        thread: dict[str, Any] = {"rel_type": "m.thread", "event_id": relation.thread_root}
        if relation.reply_to is not None:
            thread["m.in_reply_to"] = {"event_id": relation.reply_to}
        else:
            thread["is_falling_back"] = True
            thread["m.in_reply_to"] = {"event_id": relation.thread_root}
        return thread
    if relation.reply_to is not None:
        return {"m.in_reply_to": {"event_id": relation.reply_to}}
    return None


def edit_content(catalogs: Catalogs, edit: CopyEdit) -> dict[str, Any]:
    """The m.replace event that turns a copy into its new words."""
    return replacement(copy_content(catalogs, edit.new), outbox_ref(edit.copy_outbox_id))


def redaction_content(redaction: CopyRedaction) -> dict[str, Any]:
    content: dict[str, Any] = {"redacts": outbox_ref(redaction.copy_outbox_id)}
    if redaction.reason is not None:
        content["reason"] = redaction.reason
    return content
