"""What mirroring hands to delivery: a copy of a message for another room, an edit of a copy, a
redaction of a copy. Values only; delivery words them into Matrix events (`bot.render.mirror`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.interpretation import HUMAN_ORIGINS, Origin
from bot.domain.text_protection import GlossaryUse, has_words
from bot.domain.wording import adds_something

# Mirrored as files; people's words (`bot.domain.outcomes.TEXT_MSGTYPES`) are mirrored as words.
MEDIA_MSGTYPES = ("m.image", "m.file", "m.audio", "m.video")

# What stands for a message in a room: its event id, or the placeholder of a copy still queued
# (`bot.domain.outbox.outbox_ref`), filled in when sending.
Pointer = str | dict[str, int]


@dataclass(frozen=True)
class MirrorText:
    """What one copy says: the words shown, whether they are still untranslated, and who put
    them in the copy's language (a machine, or an interpreter, named)."""

    shown: str
    original: str
    source_language: str
    target_language: str
    pending: bool
    # None: worked out from the rest (machine translation, or as written).
    origin: Origin | None = None
    interpreter: str | None = None
    # The chat's glossary terms that changed the machine translation, named in its label.
    glossary: tuple[GlossaryUse, ...] = ()
    # Shown as written because the speaker had used up their share of the translator for the
    # moment (`translation.chars_per_person_minute`): the label says so.
    over_share: bool = False

    @property
    def translated(self) -> bool:
        """Worth labelling: emoji, links or names alone come back unchanged and say so."""
        return (
            not self.pending
            and self.source_language != self.target_language
            and adds_something(self.shown, self.original)
        )

    @property
    def kind(self) -> Origin:
        if self.pending:
            return Origin.PENDING
        if self.origin is not None:
            return self.origin
        return Origin.MACHINE if self.translated else Origin.AS_WRITTEN

    @property
    def interpreted(self) -> bool:
        return self.kind in HUMAN_ORIGINS

    @property
    def left_untranslated(self) -> bool:
        """Shown as written in a room of another language, though it has words to translate:
        nobody put them in the room's language (translation provider `none`, or a provider that
        gave them back unchanged). The copy says so; emoji, links and mentions alone need not."""
        return (
            self.kind is Origin.AS_WRITTEN
            and self.source_language != self.target_language
            and has_words(self.original)
        )


@dataclass(frozen=True)
class Speaker:
    name: str
    center: str


@dataclass(frozen=True)
class CopyRelation:
    """Where a copy sits in the target room: the reply and the thread of the source, each
    pointed at its counterpart there. In a thread with no counterpart for the message replied
    to, the copy falls back to replying to the thread's root."""

    reply_to: Pointer | None = None
    thread_root: Pointer | None = None


@dataclass(frozen=True)
class MirrorCopy:
    """A message said in one room, as another room is to be shown it."""

    source_event_id: str
    source_room_id: str
    target_room_id: str
    # The source event's type and content: its msgtype, and for media the file itself (url or
    # encrypted file, info, filename), which the copy keeps.
    event_type: str
    source_content: dict[str, Any]
    words: MirrorText
    speaker: Speaker
    # The people the author mentioned who sit in the target room: only they are notified.
    mentions: tuple[str, ...] = ()
    relation: CopyRelation | None = None


@dataclass(frozen=True)
class CopyEdit:
    """A copy already queued or sent (the outbox message `copy_outbox_id`), to be replaced by
    `new` in full: the author's edit, or its translation arriving late."""

    copy_outbox_id: int
    new: MirrorCopy


@dataclass(frozen=True)
class CopyRedaction:
    """A copy to be taken back because its source was: `source_event_id` is the redaction."""

    source_event_id: str
    target_room_id: str
    copy_outbox_id: int
    reason: str | None = None
