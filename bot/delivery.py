"""Outcomes become queued messages: worded per room, with fixed transaction ids.

The transaction id is derived from what caused the message (an event id, a reminder), so the same
cause handled twice queues the same message once.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import Awaitable, Callable, Iterator, Sequence
from functools import cached_property
from typing import Any, Protocol

from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.events import MARKER, MESSAGE
from bot.domain.membership import Membership
from bot.domain.messages import Msg, UserText, from_data, localized, to_data, user_texts
from bot.domain.minutes import MinutesData
from bot.domain.mirror import CopyEdit, CopyRedaction, MirrorCopy
from bot.domain.names import ShownNames
from bot.domain.outbox import REDACTION, UPLOAD, outbox_ref, upload_content
from bot.domain.outcomes import (
    NOTICE,
    TEXT,
    Announce,
    Outcome,
    React,
    Reply,
    msgtype_of,
    reply,
)
from bot.domain.polls import Poll, ResultView
from bot.domain.wording import adds_something
from bot.i18n import Catalogs
from bot.render.minutes import MinutesRenderer, generated_stamp
from bot.render.mirror import copy_content, copy_event_type, edit_content, redaction_content
from bot.render.notices import bot_message, reaction
from bot.render.polls import (
    POLL_END,
    POLL_START,
    LocalizedPoll,
    ballot_lines,
    end_fallback,
    localized_poll,
    poll_end_content,
    poll_start_content,
    result_lines,
    start_fallback,
)
from bot.storage.runtime_store import RuntimeStore, now_ms, txn_id

MINUTES_MIMETYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


def minutes_file_name(meeting_id: int, language: str, fmt: str) -> str:
    return f"minutes-{meeting_id}-{language}.{fmt}"


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def deferred(kind: str, **data: Any) -> dict[str, Any]:
    """Content to be finished by the `kind` finisher when it is sent."""
    return {DEFERRED: {"kind": kind, **data}}


# Content queued with this key is finished (worded, translated) by the sender, outside any
# transaction, right before it goes out: see `Delivery.finish`.
DEFERRED = "org.asamblea.deferred"

# Turns a deferred content's data into the content to send.
Finisher = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class QuickTranslator(Protocol):
    async def translate_quickly(self, text: str, source: str, target: str) -> str | None:
        """A translation if one comes fast (cached or prompt), else None."""
        ...

    async def translate_lines_quickly(
        self, lines: Sequence[str], source: str, target: str
    ) -> list[str | None]:
        """Several short texts at once, within one quick budget."""
        ...


# A message unsent this long is shown as waiting in `!status` (a burst drains well within it).
WAITING_AFTER_MS = 30_000


class Delivery:
    def __init__(
        self,
        store: RuntimeStore,
        catalogs: Catalogs,
        members: Membership,
        wake: Callable[[], None],
        texts: QuickTranslator | None = None,
    ) -> None:
        self._store = store
        self._catalogs = catalogs
        self._members = members
        self._names = ShownNames(members)
        self._wake = wake
        # People's words quoted in the bot's messages, translated within a short budget; None:
        # quoted as written.
        self.texts = texts
        self._finishers: dict[str, Finisher] = {"notice": self._finish_notice}

    def add_finisher(self, kind: str, finisher: Finisher) -> None:
        """Content queued as `deferred(kind, data)` is finished by `finisher` when sent."""
        self._finishers[kind] = finisher

    async def finish(self, content: dict[str, Any]) -> dict[str, Any]:
        """The content to send for a queued one. The sender calls this outside any transaction:
        translating the words people wrote (titles, options) happens here, never while the
        database is held."""
        data = content.get(DEFERRED)
        if not isinstance(data, dict):
            return content
        finisher = self._finishers.get(str(data.get("kind")))
        if finisher is None:
            raise ValueError(f"no finisher for deferred content {data.get('kind')!r}")
        return await finisher(data)

    def wake(self) -> None:
        self._wake()

    async def room_in(self, room_ids: Sequence[str]) -> None:
        """Wait while the outbox of any of these rooms is full (one that cannot send aside)."""
        await self._store.lanes.room_in(room_ids)

    def text(self, language: str, message: Msg) -> str:
        """One message worded in plain text, for what is not a room message (a reason)."""
        return self._catalogs.text(language, message)

    async def deliver(
        self,
        outcomes: Sequence[Outcome],
        *,
        cause: str,
        assembly: Assembly,
        room: AssemblyRoom | None = None,
        reply_to: str | None = None,
    ) -> list[tuple[str, int]]:
        """Queue every outcome. Call inside the transaction that records the cause as handled.

        Returns (room id, outbox row id) of each queued message, for callers that must find the
        sent event later (a ✋ on the latest stack message raises a hand).
        """
        counter = itertools.count()
        queued: list[tuple[str, int]] = []
        for outcome in outcomes:
            if isinstance(outcome, Reply) and room is not None:
                row = await self._queue_message(
                    room,
                    outcome.lines,
                    cause,
                    counter,
                    msgtype=msgtype_of(outcome) or NOTICE,
                    reply_to=reply_to,
                )
                queued.append((room.room_id, row))
            elif isinstance(outcome, React) and room is not None and reply_to:
                await self.queue(
                    room.room_id,
                    "m.reaction",
                    reaction(reply_to, outcome.key),
                    txn_id(cause, next(counter)),
                )
            elif isinstance(outcome, Announce):
                for target in assembly.rooms:
                    mentions = self._mentions_in(assembly, target, outcome.mention)
                    row = await self._queue_message(
                        target,
                        outcome.lines,
                        cause,
                        counter,
                        msgtype=msgtype_of(outcome, pings_here=bool(mentions)) or NOTICE,
                        mentions=mentions,
                    )
                    queued.append((target.room_id, row))
        return queued

    async def status(self, assembly: Assembly) -> list[Msg]:
        """For `!status`: messages the homeserver refused for good (each is in the log too),
        and messages waiting longer than usual (a room, or a direct chat, that cannot take them
        yet: nothing goes in the clear where the bot cannot encrypt yet)."""
        lines = []
        if count := await self._store.set_aside_count(assembly.room_ids):
            lines.append(Msg.of("status.set_aside", count=count))
        if waiting := await self._store.waiting_count(now_ms() - WAITING_AFTER_MS):
            lines.append(Msg.of("status.waiting", count=waiting))
        return lines

    async def announce(self, assembly: Assembly, lines: Sequence[Msg], *, cause: str) -> None:
        await self.deliver([Announce(tuple(lines))], cause=cause, assembly=assembly)

    async def message_sent_as(self, event_id: str) -> int | None:
        """Which of the bot's queued messages the homeserver knows as `event_id`, if any."""
        return await self._store.message_sent_as(event_id)

    async def queue(
        self,
        room_id: str,
        event_type: str,
        content: dict[str, Any],
        txn: str,
        *,
        purpose: str = "reply",
        source_event_id: str | None = None,
    ) -> int:
        return await self._store.enqueue(
            room_id,
            event_type,
            content,
            txn_id=txn,
            purpose=purpose,
            source_event_id=source_event_id,
        )

    async def queue_copy(self, copy: MirrorCopy, *, cause: str, index: int = 0) -> int:
        """Queue a mirrored copy; returns its outbox row, which later edits and redactions of
        the copy point at."""
        return await self.queue(
            copy.target_room_id,
            copy_event_type(copy),
            copy_content(self._catalogs, copy),
            txn_id(cause, index),
            purpose="mirror",
            source_event_id=copy.source_event_id,
        )

    async def queue_copy_edit(self, edit: CopyEdit, *, cause: str, index: int = 0) -> int:
        return await self.queue(
            edit.new.target_room_id,
            MESSAGE,
            edit_content(self._catalogs, edit),
            txn_id(cause, index),
            purpose="mirror-edit",
            source_event_id=edit.new.source_event_id,
        )

    async def queue_copy_redaction(
        self, redaction: CopyRedaction, *, cause: str, index: int = 0
    ) -> int:
        return await self.queue(
            redaction.target_room_id,
            REDACTION,
            redaction_content(redaction),
            txn_id(cause, index),
            purpose="mirror-redaction",
            source_event_id=redaction.source_event_id,
        )

    async def _queue_message(
        self,
        room: AssemblyRoom,
        lines: Sequence[Msg],
        cause: str,
        counter: Iterator[int],
        *,
        msgtype: str,
        reply_to: str | None = None,
        mentions: Sequence[tuple[str, str]] = (),
    ) -> int:
        if any(t.language != room.language for line in lines for t in user_texts(line)):
            # Words a person wrote in another language: translated when sent, not now.
            content = deferred(
                "notice",
                language=room.language,
                lines=[to_data(line) for line in lines],
                msgtype=msgtype,
                reply_to=reply_to,
                mentions=[list(m) for m in mentions],
            )
        else:
            content = bot_message(
                self._catalogs,
                room.language,
                lines,
                msgtype=msgtype,
                reply_to=reply_to,
                mentions=mentions,
            )
        return await self.queue(
            room.room_id, "m.room.message", content, txn_id(cause, next(counter))
        )

    async def _finish_notice(self, data: dict[str, Any]) -> dict[str, Any]:
        language = str(data["language"])
        lines = [from_data(line) for line in data["lines"]]
        translated = await self._translations(lines, language)
        mentions = [(str(user), str(name)) for user, name in data.get("mentions") or []]
        return bot_message(
            self._catalogs,
            language,
            [localized(line, language, translated) for line in lines],
            # Queued before messages carried their msgtype: then a mention made it a text.
            msgtype=str(data.get("msgtype") or (TEXT if mentions else NOTICE)),
            reply_to=data.get("reply_to"),
            mentions=mentions,
        )

    async def _translations(self, lines: Sequence[Msg], language: str) -> dict[UserText, str]:
        """Every person-written text of the lines in `language`, all asked for at once."""
        wanted = list(
            dict.fromkeys(t for line in lines for t in user_texts(line) if t.language != language)
        )
        if not wanted or self.texts is None:
            return {}
        texts = self.texts
        found = await asyncio.gather(
            *(texts.translate_quickly(t.text, t.language, language) for t in wanted)
        )
        return {t: f for t, f in zip(wanted, found, strict=True) if adds_something(f, t.text)}

    def _mentions_in(
        self, assembly: Assembly, room: AssemblyRoom, users: Sequence[str]
    ) -> list[tuple[str, str]]:
        """Each person is pinged only in the room where they sit, by the name the bot shows."""
        return [
            (user, self._names.display_name(assembly, user))
            for user in users
            if self._members.is_member(room.room_id, user)
        ]

    # -- polls: the poll service hands over a poll's values; they become events here -------------

    async def queue_poll_start(
        self, room_id: str, language: str, poll: Poll, txn: str, *, prefix: str
    ) -> int:
        """Queue the poll's native start event for a room in `language`. In another language
        than the poll's it is worded when sent, since its question and options may need
        translating, which never happens inside a transaction: the content is then
        `deferred("poll_start", poll=<id>, language=<language>)`, finished by the poll service,
        which finds the poll and hands it to `worded_poll_start`."""
        if language == poll.language:
            wording = localized_poll(self._catalogs, poll, language, [None])
            content = self._poll_start(poll, wording, prefix)
        else:
            content = deferred("poll_start", poll=poll.id, language=language)
        return await self.queue(room_id, POLL_START, content, txn, purpose="poll")

    async def worded_poll_start(self, poll: Poll, language: str, *, prefix: str) -> dict[str, Any]:
        """The start event of a poll in `language`, its question and options translated (when a
        translation comes quickly) with the original beside. Outside any transaction."""
        texts = self.texts
        lines = [poll.question, *poll.options]
        found = (
            await texts.translate_lines_quickly(lines, poll.language, language)
            if texts is not None
            else [None]
        )
        return self._poll_start(poll, localized_poll(self._catalogs, poll, language, found), prefix)

    async def queue_poll_end(
        self, room_id: str, language: str, poll: Poll, start_outbox_id: int, txn: str
    ) -> None:
        """Queue the end event of the poll started by the queued message `start_outbox_id`."""
        content = poll_end_content(
            outbox_ref(start_outbox_id), end_fallback(self._catalogs, language, poll)
        )
        await self.queue(room_id, POLL_END, content, txn, purpose="poll")

    async def announce_poll_result(
        self, assembly: Assembly, view: ResultView, *, cause: str
    ) -> None:
        await self.announce(assembly, result_lines(view), cause=cause)

    async def deliver_ballot_intro(
        self, poll: Poll, *, assembly: Assembly, chat: AssemblyRoom, cause: str, prefix: str
    ) -> None:
        """What comes with a secret poll's ballot in a person's direct chat with the bot."""
        await self.deliver(
            [reply(*ballot_lines(poll, prefix))], cause=cause, assembly=assembly, room=chat
        )

    def _poll_start(self, poll: Poll, wording: LocalizedPoll, prefix: str) -> dict[str, Any]:
        return poll_start_content(
            poll, wording, start_fallback(self._catalogs, poll, wording, prefix)
        )

    # -- minutes: the minutes service gathers a meeting's record; it becomes files here ----------

    @cached_property
    def _minutes(self) -> MinutesRenderer:
        # Made from the catalogs delivery words everything else with, when first needed.
        return MinutesRenderer(self._catalogs)

    async def queue_minutes(
        self, assembly: Assembly, data: MinutesData, *, cause: str
    ) -> list[str]:
        """Queue the minutes as files in every room, in its language: Markdown and HTML. They
        leave through the outbox, so a restart delays an upload but never loses it. Returns the
        files' names.

        Each file carries a fingerprint of what it says (all but its "made at" stamp): minutes of
        a meeting that has not changed since are posted again from the earlier upload instead of
        being uploaded anew (the sender keeps the map, see bot.matrix.sender)."""
        names = []
        stamp = generated_stamp()
        for room in assembly.rooms:
            for fmt in ("md", "html"):
                name = minutes_file_name(data.meeting_id, room.language, fmt)
                text = self._minutes.render(data, fmt, [room.language], generated=stamp)
                content = upload_content(
                    text.encode(),
                    name,
                    MINUTES_MIMETYPES[fmt],
                    reuse_key=f"minutes:{data.meeting_id}:{room.room_id}:{fmt}",
                    fingerprint=fingerprint(text.replace(stamp, "")),
                )
                content[MARKER] = {"kind": "minutes", "meeting": data.meeting_id}
                await self.queue(
                    room.room_id,
                    UPLOAD,
                    content,
                    txn_id(f"{cause}:{room.room_id}:{fmt}", 0),
                    purpose="minutes",
                )
                names.append(name)
        return names
