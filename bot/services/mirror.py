"""The mirror's worker: every message a person sends reaches every other room of the assembly,
translated.

The intake (`mirror_intake.py`) only queues a job, inside the transaction that marks the event
handled, so the sync loop never waits for a translator; once committed, the job is handed to
this worker, which keeps each assembly's waiting jobs in memory (read from the database only at
start) and mirrors them in its lane, and corrects copies when an interpreter says better.

Inside a lane people take turns (`TakingTurns`): each person's messages go in the order they
said them, but someone who says a lot at once waits for their next turn behind the others, who
are delayed by one message of theirs at most. Each person also has a share of the translator
(`translation.chars_per_person_minute`): beyond it, their messages are mirrored as written,
with a note. And a lane posts a copy only when the outbox of its rooms is not already full, so
that a backlog waits here, where people take turns, rather than in the outbox, where messages
go out in order. Translations come through the translation
gateway (`translation_gateway.py`), shared with delivery. When translation
fails or times out the copy goes out at once with the original words and a "translation pending"
label; a retry loop later edits it into the translation. Copies leave through the outbox, so a
homeserver outage or a restart delays them but never loses or repeats them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.delivery import Delivery
from bot.domain.assembly import Assembly, AssemblyDirectory, AssemblyRoom
from bot.domain.errors import CommandError
from bot.domain.events import MESSAGE, IncomingEvent
from bot.domain.fair_use import Budget, FairUse, TakingTurns
from bot.domain.interpretation import Correction, Origin, chat_glossary_changes
from bot.domain.limits import split_for_translation
from bot.domain.mentions import mentioned_users
from bot.domain.messages import Msg
from bot.domain.mirror import (
    MEDIA_MSGTYPES,
    CopyEdit,
    CopyRedaction,
    CopyRelation,
    MirrorCopy,
    MirrorText,
    Pointer,
    Speaker,
)
from bot.domain.outbox import outbox_ref
from bot.domain.outcomes import TEXT_MSGTYPES
from bot.domain.text_protection import strip_reply_fallback
from bot.i18n import Catalogs
from bot.services.interpretation import InterpretationService
from bot.services.people import People
from bot.services.translation import TranslationError
from bot.services.translation_gateway import TranslationGateway
from bot.storage.database import Database
from bot.storage.mirror_store import MirroredCopy, MirrorJob, MirrorStore

log = logging.getLogger(__name__)

MAX_JOB_FAILURES = 3
MIRRORED_MSGTYPES = TEXT_MSGTYPES + MEDIA_MSGTYPES


class LanguageDetector(Protocol):
    def detect(self, text: str, fallback: str, *, names: Sequence[str] = ()) -> str: ...


@dataclass(frozen=True)
class MirrorTuning:
    # After a failure the translator is left alone this long; copies go out untranslated meanwhile.
    # (Read where the translation gateway is built: the mirror and delivery share it.)
    cooldown_seconds: float = 30.0
    # How often copies still waiting for a translation are retried.
    retry_seconds: float = 15.0
    # The most a reply may wait for the translation of a title it quotes.
    quick_budget_seconds: float = 1.5
    # Messages translated at once (the translator's own worker count), and how far ahead of
    # the message being posted an assembly's later messages start translating.
    parallel_translations: int = 4
    look_ahead: int = 8


class MirrorWorker:
    def __init__(
        self,
        *,
        db: Database,
        store: MirrorStore,
        directory: AssemblyDirectory,
        people: People,
        delivery: Delivery,
        translation: TranslationGateway,
        interpretation: InterpretationService,
        catalogs: Catalogs,
        tuning: MirrorTuning | None = None,
        may_mirror: Callable[[str, str], bool] | None = None,
        max_chars: int = 2000,
        chars_per_person_minute: int | None = 6000,
        detector: LanguageDetector | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._store = store
        self._directory = directory
        self._people = people
        self._delivery = delivery
        # The translator, and its breaker, shared with delivery's quick translations.
        self._translator = translation.translator
        self._interpretation = interpretation
        # Which language a message is in; without one, every message is in its room's language.
        self._detector = detector
        self._catalogs = catalogs
        self._tuning = tuning or MirrorTuning()
        self._breaker = translation.breaker
        self._failures: dict[int, int] = {}
        # One lane per assembly: a message wakes only its own assembly's.
        self._lanes = {assembly.name: _Lane() for assembly in directory.assemblies}
        # Held while translating a message, before the translator's own deadline starts, so
        # that messages waiting their turn do not time out in the queue.
        self._translating = asyncio.Semaphore(self._tuning.parallel_translations)
        # (source room, target room) -> may copies go there? (No encrypted → unencrypted.)
        self._may_mirror = may_mirror or (lambda source, target: True)
        # The most of one message sent to the (paid) translator; the rest goes as written.
        self._max_chars = max_chars
        # Each person's share of the translator: characters a minute, in one bucket (None:
        # no translator, nothing to share).
        self._shares = (
            FairUse(
                {}, clock, Budget(chars_per_person_minute, 60.0 / chars_per_person_minute)
            )
            if chars_per_person_minute
            else None
        )

    # -- handed jobs by the intake (inside the dispatcher's transaction) ------------------------

    def queue(self, job: MirrorJob) -> None:
        """A job was queued: its lane takes it once the transaction commits."""
        self._db.on_commit(lambda: self._take(job))

    def _take(self, job: MirrorJob) -> None:
        lane = self._lanes.get(job.assembly)
        if lane is None:
            return
        lane.add(job)
        lane.wake.set()

    async def correct(
        self, assembly: Assembly, copy_event_id: str, words: str, by: str, *, cause: str
    ) -> Correction:
        """An interpreter's better words for one of our copies: the copy is edited into them,
        labelled with the interpreter's name, and the same sentence is taken from the
        translation memory from now on (a short one once a second interpreter agrees)."""
        copy = await self._copy_behind(copy_event_id)
        if copy is None or copy.redacted or assembly.room(copy.target_room_id) is None:
            raise CommandError("interpretation.not_a_copy")
        job = await self._store.job(copy.job_id)
        if job is None or copy.source_language == copy.target_language:
            raise CommandError("interpretation.nothing_to_fix")
        fixed = MirrorText(
            words,
            copy.text,
            copy.source_language,
            copy.target_language,
            pending=False,
            origin=Origin.INTERPRETER,
            interpreter=self._people.display_name(assembly, by),
        )
        content = job.event.content if job.event else {}
        await self._queue_edit(copy, job, content, fixed, f"fix:{cause}")
        await self._store.update_copy(copy.id, fixed)
        learning = await self._interpretation.remember(
            assembly.name, copy.source_language, copy.target_language, copy.text, words, by
        )
        return Correction(copy.text, learning)

    # -- the worker ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Each assembly mirrors in its own lane, in the order things were said; pending
        translations are retried now and then."""
        lanes = [asyncio.create_task(self._lane(name, stop)) for name in self._lanes]
        try:
            while not stop.is_set():
                try:
                    await self._retry_pending()
                except Exception:
                    log.exception("retrying pending translations failed; retrying")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._tuning.retry_seconds)
        finally:
            for task in lanes:
                task.cancel()
            await asyncio.gather(*lanes, return_exceptions=True)

    async def _lane(self, assembly: str, stop: asyncio.Event) -> None:
        wake = self._lanes[assembly].wake
        wake.set()  # whatever waited across a restart goes first
        while not stop.is_set():
            await wake.wait()
            wake.clear()
            try:
                await self._drain_jobs(assembly)
            except Exception:
                log.exception("mirroring in %s failed; retrying", assembly)
                await asyncio.sleep(self._tuning.retry_seconds)
                wake.set()

    async def _drain_jobs(self, assembly: str) -> None:
        """Post the assembly's waiting jobs, people taking turns, while the next few messages
        are already being translated: a burst drains at the translator's pace, not one call at
        a time. The line is looked at again after each job, so that messages said meanwhile
        start translating at once."""
        lane = self._lanes[assembly]
        if not lane.loaded:
            lane.load(await self._store.waiting_jobs(assembly))
        rooms = self._rooms_of(assembly)
        ahead: dict[int, asyncio.Task[Prepared]] = {}
        try:
            while upcoming := lane.turns.upcoming(self._tuning.look_ahead):
                for later in upcoming:
                    if later.kind == "message" and later.id not in ahead:
                        ahead[later.id] = asyncio.create_task(self._prepare(later))
                head = upcoming[0]
                # Posted only once the outbox of the rooms it goes to can take it: a backlog
                # waits here. (Its own room only gets a companion now and then.)
                await self._delivery.room_in([r for r in rooms if r != head.source_room_id])
                await self._mirror_or_give_up(head, ahead.pop(head.id, None))
                lane.served(head)
                self._delivery.wake()
        finally:
            for task in ahead.values():
                task.cancel()

    def _rooms_of(self, assembly: str) -> tuple[str, ...]:
        found = self._directory.by_name(assembly)
        return found.room_ids if found else ()

    async def _mirror_or_give_up(
        self, job: MirrorJob, prepared: asyncio.Task[Prepared] | None
    ) -> None:
        """A job that keeps failing would hold back every message after it: after a few tries
        it is logged and set aside, so the meeting goes on."""
        try:
            await self._mirror(job, await prepared if prepared else None)
        except Exception:
            failures = self._failures.get(job.id, 0) + 1
            self._failures[job.id] = failures
            if failures < MAX_JOB_FAILURES:
                raise
            log.exception("giving up on mirroring %s after %d tries", job.source_event_id, failures)
            await self._store.finish_job(job.id)
        self._failures.pop(job.id, None)

    async def _prepare(self, job: MirrorJob) -> Prepared:
        """Everything a message's copies need from the network: their translations.

        People write in the language they think in, whatever the room: a message is translated
        from the language it is in, and one written in another language than its room's gets a
        companion in its own room too, in the room's language."""
        event = job.event
        assembly = self._directory.by_name(job.assembly)
        room = assembly.room(job.source_room_id) if assembly else None
        if event is None or assembly is None or room is None:
            return Prepared(event, assembly, room, [], {})
        text = visible_text(event.content)
        language = self.language_of(text, room.language, self._mentioned_names(event, assembly))
        targets = [
            t
            for t in assembly.other_rooms(room.room_id)
            if self._may_mirror(room.room_id, t.room_id)
        ]
        if language != room.language and event.msgtype in TEXT_MSGTYPES:
            targets.append(room)
        translations = await self._translate_for(text, language, targets, event, assembly)
        return Prepared(event, assembly, room, targets, translations)

    def language_of(self, text: str, room_language: str, names: Sequence[str] = ()) -> str:
        """The language `text` is written in; the room's when unsure (short or mixed text).
        Names mentioned say nothing about the language around them."""
        if self._detector is None or not text.strip():
            return room_language
        return self._detector.detect(text, room_language, names=names)

    async def _mirror(self, job: MirrorJob, prepared: Prepared | None) -> None:
        if job.kind == "message":
            ready = prepared or await self._prepare(job)
            if ready.event is None or ready.assembly is None or ready.room is None:
                await self._store.finish_job(job.id)
                return
            await self._mirror_message(job, ready)
            return
        event = job.event
        assembly = self._directory.by_name(job.assembly)
        room = assembly.room(job.source_room_id) if assembly else None
        if event is None or assembly is None or room is None:
            await self._store.finish_job(job.id)
        elif job.kind == "redact":
            await self._mirror_redaction(job, event)
        else:
            await self._mirror_edit(job, event, assembly, room)

    async def _mirror_message(self, job: MirrorJob, ready: Prepared) -> None:
        event, room = ready.event, ready.room
        assert event is not None and room is not None
        async with self._db.transaction():
            for index, target in enumerate(ready.targets):
                words = ready.translations[target.language]
                if target.room_id == room.room_id:
                    # The companion: under the message it translates, notifying nobody again.
                    relation = CopyRelation(event.event_id, event.thread_root)
                    copy = self._copy(
                        job, target.room_id, event.type, event.content, words, relation, ()
                    )
                else:
                    relation = await self._relation(event, target.room_id)
                    copy = self._copy(
                        job, target.room_id, event.type, event.content, words, relation
                    )
                outbox_id = await self._delivery.queue_copy(
                    copy, cause=f"mirror:{event.event_id}", index=index
                )
                await self._store.add_copy(job, target.room_id, outbox_id, words)
            if not ready.targets:
                await self._store.finish_job(job.id)  # a copy marks its job done by itself

    async def _mirror_edit(
        self, job: MirrorJob, event: IncomingEvent, assembly: Assembly, room: AssemblyRoom
    ) -> None:
        new_content = event.new_content or {}
        copies = [
            c
            for c in await self._store.copies_of(event.relates_to or "")
            if not c.redacted and self._may_mirror(room.room_id, c.target_room_id)
        ]
        original_job = await self._store.job(copies[0].job_id) if copies else None
        author = original_job.event.sender if original_job and original_job.event else None
        if original_job is None or author != event.sender:
            # Matrix lets anyone send an m.replace; only the author's own edits are edits.
            if original_job is not None:
                log.warning("ignoring %s's edit of a message they did not write", event.sender)
            await self._store.finish_job(job.id)
            return
        text = visible_text(new_content)
        targets = [t for t in assembly.rooms if t.room_id in {c.target_room_id for c in copies}]
        # Translated from the language the message was found in when first said.
        language = copies[0].source_language
        translations = await self._translate_for(text, language, targets, event, assembly)
        async with self._db.transaction():
            for copy in copies:
                copy_text = translations[copy.target_language]
                await self._queue_edit(copy, original_job, new_content, copy_text, event.event_id)
                await self._store.update_copy(copy.id, copy_text)
            await self._store.finish_job(job.id)

    async def _mirror_redaction(self, job: MirrorJob, event: IncomingEvent) -> None:
        copies = await self._store.copies_of(event.redacts or "")
        async with self._db.transaction():
            reason = event.content.get("reason")
            for index, copy in enumerate(c for c in copies if not c.redacted):
                redaction = CopyRedaction(
                    source_event_id=event.event_id,
                    target_room_id=copy.target_room_id,
                    copy_outbox_id=copy.outbox_id,
                    reason=reason if isinstance(reason, str) else None,
                )
                await self._delivery.queue_copy_redaction(
                    redaction, cause=f"mirror-redact:{event.event_id}", index=index
                )
                await self._store.mark_redacted(copy.id)
            await self._store.finish_job(job.id)

    async def _retry_pending(self) -> None:
        """Edit copies that went out untranslated into their translation, oldest first."""
        for copy in await self._store.pending_translations():
            job = await self._store.job(copy.job_id)
            assembly = self._directory.by_name(job.assembly) if job else None
            if job is None or assembly is None:
                continue
            copy_text = await self._translate(
                copy.text, copy.source_language, copy.target_language, assembly, probe=True
            )
            if copy_text.pending:
                return
            content = job.event.content if job.event else {}
            async with self._db.transaction():
                latest = await self._store.copy_in(copy.source_event_id, copy.target_room_id)
                if latest is None or latest.revision != copy.revision:
                    continue  # edited meanwhile; the next round translates the new words
                await self._queue_edit(copy, job, content, copy_text, f"retry:{copy.revision}")
                await self._store.update_copy(copy.id, copy_text)
            self._delivery.wake()

    async def _queue_edit(
        self,
        copy: MirroredCopy,
        job: MirrorJob,
        new_source_content: dict[str, Any],
        copy_text: MirrorText,
        cause: str,
    ) -> None:
        event_type = job.event.type if job.event else MESSAGE
        companion = copy.target_room_id == copy.source_room_id
        new = self._copy(
            job,
            copy.target_room_id,
            event_type,
            new_source_content,
            copy_text,
            mentions=() if companion else None,
        )
        await self._delivery.queue_copy_edit(
            CopyEdit(copy_outbox_id=copy.outbox_id, new=new),
            cause=f"mirror-edit:{copy.id}:{cause}",
        )

    # -- building copies ----------------------------------------------------------------------

    def _copy(
        self,
        job: MirrorJob,
        target_room: str,
        event_type: str,
        source: dict[str, Any],
        words: MirrorText,
        relation: CopyRelation | None = None,
        mentions: tuple[str, ...] | None = None,
    ) -> MirrorCopy:
        return MirrorCopy(
            source_event_id=job.source_event_id,
            source_room_id=job.source_room_id,
            target_room_id=target_room,
            event_type=event_type,
            source_content=source,
            words=words,
            speaker=Speaker(job.speaker, job.center),
            mentions=self._copy_mentions(source, target_room) if mentions is None else mentions,
            relation=relation,
        )

    async def _relation(self, event: IncomingEvent, target_room: str) -> CopyRelation | None:
        """The reply or thread of the source, pointed at the counterparts in the target room:
        none when the thread's root has no counterpart there."""
        reply_to = await self._counterpart(event.in_reply_to, target_room)
        if event.thread_root:
            root = await self._counterpart(event.thread_root, target_room)
            return CopyRelation(reply_to, root) if root is not None else None
        return CopyRelation(reply_to) if reply_to is not None else None

    async def source_of(self, event_id: str | None) -> str | None:
        """The message a reply is about: the original behind one of our copies, or itself."""
        if not event_id:
            return None
        copy = await self._copy_behind(event_id)
        return copy.source_event_id if copy is not None else event_id

    async def _copy_behind(self, event_id: str) -> MirroredCopy | None:
        """Our copy that was sent as `event_id`, if it is one."""
        sent = await self._delivery.message_sent_as(event_id)
        return await self._store.copy_queued_as(sent) if sent is not None else None

    async def _counterpart(self, event_id: str | None, target_room: str) -> Pointer | None:
        """What stands for `event_id` in the target room: our copy of it, or, when it is itself
        our copy of a message from the target room, that original message."""
        if not event_id:
            return None
        copy = await self._store.copy_in(event_id, target_room)
        if copy is not None:
            return outbox_ref(copy.outbox_id)
        ours = await self._copy_behind(event_id)
        if ours is None:
            return None
        if ours.source_room_id == target_room:
            return ours.source_event_id
        sibling = await self._store.copy_in(ours.source_event_id, target_room)
        return outbox_ref(sibling.outbox_id) if sibling else None

    # -- translating --------------------------------------------------------------------------

    async def _translate_for(
        self,
        text: str,
        source_language: str,
        targets: Sequence[AssemblyRoom],
        event: IncomingEvent,
        assembly: Assembly,
    ) -> dict[str, MirrorText]:
        names = self._mentioned_names(event, assembly)
        languages = list(dict.fromkeys(t.language for t in targets))
        shared = self._within_share(assembly, event.sender, text, source_language, languages)
        async with self._translating:
            found = await asyncio.gather(
                *(
                    self._translate(
                        text, source_language, language, assembly, names=names, shared=shared
                    )
                    for language in languages
                )
            )
        return dict(zip(languages, found, strict=True))

    def _within_share(
        self, assembly: Assembly, person: str, text: str, source: str, languages: Sequence[str]
    ) -> bool:
        """Whether the person's share of the translator has room for this message (what it
        would send to the translator, in every language it goes to), which it then uses."""
        if self._shares is None:
            return True
        head, _ = split_for_translation(text, self._max_chars)
        chars = len(head.strip()) * sum(1 for language in languages if language != source)
        return self._shares.spend(assembly.name, person, chars).allowed

    async def _translate(
        self,
        text: str,
        source: str,
        target: str,
        assembly: Assembly,
        *,
        names: Sequence[str] = (),
        probe: bool = False,
        shared: bool = True,
    ) -> MirrorText:
        """An interpreter's earlier correction of the same sentence first, then the machine;
        not `shared` (the speaker's share of the translator used up), the words as written."""
        if source == target or not text.strip():
            return MirrorText(text, text, source, target, pending=False)
        remembered = await self._interpretation.recall(assembly.name, source, target, text)
        if remembered is not None:
            return MirrorText(
                remembered.text,
                text,
                source,
                target,
                pending=False,
                origin=Origin.MEMORY,
                interpreter=self._people.display_name(assembly, remembered.interpreter),
            )
        if not shared:
            return MirrorText(
                text, text, source, target, pending=False, origin=Origin.AS_WRITTEN, over_share=True
            )
        if self._breaker.is_open and not probe:
            return MirrorText(text, text, source, target, pending=True)
        head, rest = split_for_translation(text, self._max_chars)
        glossary = self._interpretation.glossary(assembly.name)
        try:
            shown = await self._translator.translate(
                head, source, target, glossary=glossary, display_names=names
            )
        except (TranslationError, TimeoutError) as error:
            log.warning(
                "translation %s→%s failed (%s); mirroring the original", source, target, error
            )
            self._breaker.trip()
            return MirrorText(text, text, source, target, pending=True)
        self._breaker.reset()
        if rest:
            note = self._catalogs.text(target, Msg.of("mirror.rest_untranslated"))
            shown = f"{shown.rstrip()}\n[{note}]\n{rest.lstrip()}"
        changes = chat_glossary_changes(
            head,
            source,
            target,
            glossary=glossary,
            chat=self._interpretation.chat_glossary(assembly.name),
            display_names=names,
        )
        return MirrorText(shown, text, source, target, pending=False, glossary=changes)

    def _mentioned_names(self, event: IncomingEvent, assembly: Assembly) -> list[str]:
        """The names as a mention writes them into the words (never told apart)."""
        return [self._people.bare_name(assembly, u) for u in mentioned_users(event.content)]

    def _copy_mentions(self, source: dict[str, Any], target_room: str) -> tuple[str, ...]:
        """Whom the copy may notify: the people the author mentioned who sit in the target room.
        Never `room`: the bot would be pinging a whole room on a member's behalf."""
        return tuple(u for u in mentioned_users(source) if self._people.sits_in(target_room, u))


class _Lane:
    """One assembly's jobs waiting to be mirrored, its people taking turns; what waited across a
    restart is read once (`load`), and then the intake hands over each new job."""

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.turns: TakingTurns[MirrorJob] = TakingTurns()
        self.loaded = False
        self._waiting: dict[int, MirrorJob] = {}

    def load(self, stored: Sequence[MirrorJob]) -> None:
        """The jobs the database holds, oldest first, with those handed over meanwhile."""
        jobs = {job.id: job for job in stored} | self._waiting
        self.turns = TakingTurns()
        self._waiting = {}
        self.loaded = True
        for job_id in sorted(jobs):
            self.add(jobs[job_id])

    def add(self, job: MirrorJob) -> None:
        if job.id in self._waiting:
            return
        self._waiting[job.id] = job
        self.turns.add(self._whose(job), job)

    def served(self, job: MirrorJob) -> None:
        self.turns.served(job)
        del self._waiting[job.id]

    def _whose(self, job: MirrorJob) -> str:
        """Whose turn the job takes: its author's; a deletion of a message still waiting waits
        behind it, in its author's line."""
        event = job.event
        if event is None:
            return ""
        if job.kind == "redact" and event.redacts:
            author = self.turns.holds(lambda j: j.source_event_id == event.redacts)
            if author is not None:
                return author
        return event.sender


@dataclass(frozen=True)
class Prepared:
    """A message job with its translations done, ready to be posted."""

    event: IncomingEvent | None
    assembly: Assembly | None
    room: AssemblyRoom | None
    targets: list[AssemblyRoom]
    translations: dict[str, MirrorText]


def visible_text(content: dict[str, Any]) -> str:
    """What a person reads in a message: the body without reply fallback, or a media caption."""
    body = content.get("body")
    if not isinstance(body, str):
        return ""
    msgtype = content.get("msgtype")
    if msgtype in MEDIA_MSGTYPES or "url" in content or "file" in content:
        filename = content.get("filename")
        # With no separate filename the body is the file's name, not a caption.
        return body if isinstance(filename, str) and filename != body else ""
    formatted = content.get("formatted_body")
    stripped, _ = strip_reply_fallback(body, formatted if isinstance(formatted, str) else None)
    return stripped
