"""Mirroring's SQL: the queue of events to mirror, the source ↔ copy map, the pause switch, the
translation cache, and the transcript the minutes read back from them."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.domain.events import IncomingEvent, from_record, normalize, to_record
from bot.domain.interpretation import Origin
from bot.domain.mirror import MirrorText
from bot.storage.database import CHUNK, Database, in_chunks
from bot.storage.runtime_store import now_ms


@dataclass(frozen=True)
class MirrorJob:
    """One event waiting to be mirrored: a message, an edit or a redaction, as the dispatcher
    normalized it (None if it was not well formed), with its author's name and center."""

    id: int
    assembly: str
    source_event_id: str
    source_room_id: str
    kind: str
    event: IncomingEvent | None
    speaker: str
    center: str
    # For an interpreter's words ("interpretation"): the source event of what they interpret.
    interprets: str | None = None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> MirrorJob:
        payload = json.loads(row["payload"])
        interprets = payload.get("interprets")
        return cls(
            id=row["id"],
            assembly=row["assembly"],
            source_event_id=row["source_event_id"],
            source_room_id=row["source_room_id"],
            kind=row["kind"],
            event=stored_event(row["source_room_id"], payload),
            speaker=str(payload.get("speaker", "")),
            center=str(payload.get("center", "")),
            interprets=interprets if isinstance(interprets, str) else None,
        )


def job_payload(event: IncomingEvent, speaker: str, center: str) -> dict[str, Any]:
    """A job's payload: the normalized event's fields under "source"."""
    return {"source": to_record(event), "speaker": speaker, "center": center}


def stored_event(room_id: str, payload: dict[str, Any]) -> IncomingEvent | None:
    """The event of a job's payload. Jobs queued by earlier versions hold the raw event under
    "event" instead: those, left waiting across an upgrade, are normalized here."""
    if "source" in payload:
        return from_record(room_id, payload["source"])
    return normalize(room_id, payload.get("event"))


@dataclass(frozen=True)
class MirroredCopy:
    """The copy of one source message in one other room."""

    id: int
    source_event_id: str
    source_room_id: str
    target_room_id: str
    outbox_id: int
    job_id: int
    source_language: str
    target_language: str
    text: str
    translation_pending: bool
    revision: int
    redacted: bool
    # Where the copy's words came from and the words themselves (None for copies made before
    # they were recorded), and the interpreter's name for human ones.
    origin: Origin | None = None
    shown: str | None = None
    interpreter: str | None = None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> MirroredCopy:
        return cls(
            id=row["id"],
            source_event_id=row["source_event_id"],
            source_room_id=row["source_room_id"],
            target_room_id=row["target_room_id"],
            outbox_id=row["outbox_id"],
            job_id=row["job_id"],
            source_language=row["source_language"],
            target_language=row["target_language"],
            text=row["text"],
            translation_pending=bool(row["translation_pending"]),
            revision=row["revision"],
            redacted=bool(row["redacted"]),
            origin=Origin(row["origin"]) if row["origin"] else None,
            shown=row["shown"],
            interpreter=row["interpreter"],
        )


@dataclass(frozen=True)
class TranscriptRow:
    """One mirrored message: who wrote what, in which language, and its translation into one
    other language (None when none is stored)."""

    source_event_id: str
    sender: str
    speaker: str
    center: str
    ts: int
    text: str
    source_language: str
    target_language: str
    translated: str | None
    # Where `translated` came from (None: a copy from before origins were kept), the
    # interpreter's name, and whether it was settled (no longer pending) by `until`.
    origin: Origin | None = None
    interpreter: str | None = None
    settled_in_time: bool = False
    # A translation posted in the room the message was said in (written in another language).
    companion: bool = False


class MirrorStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_job(
        self,
        assembly: str,
        source_event_id: str,
        source_room_id: str,
        kind: str,
        payload: dict[str, Any],
        *,
        done: bool = False,
    ) -> int | None:
        """Queue a job (or, `done`, record one that needs no mirroring); its id, or None when
        the event already had one."""
        now = now_ms()
        rows = await self.db.execute_returning(
            "INSERT OR IGNORE INTO mirror_jobs (assembly, source_event_id, source_room_id, kind, "
            "payload, created_at, done_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                assembly,
                source_event_id,
                source_room_id,
                kind,
                json.dumps(payload, ensure_ascii=False),
                now,
                now if done else None,
            ),
        )
        return int(rows[0]["id"]) if rows else None

    async def add_event_job(
        self, assembly: str, kind: str, event: IncomingEvent, *, speaker: str, center: str
    ) -> MirrorJob | None:
        """Queue mirroring `event`, kept as normalized, so the worker needs not normalize it;
        the job as queued, or None when the event already had one."""
        payload = job_payload(event, speaker, center)
        job_id = await self.add_job(assembly, event.event_id, event.room_id, kind, payload)
        if job_id is None:
            return None
        return MirrorJob(
            job_id, assembly, event.event_id, event.room_id, kind, event, speaker, center
        )

    async def waiting_jobs(self, assembly: str, limit: int = -1) -> list[MirrorJob]:
        """The assembly's jobs not done yet, oldest first (all of them unless `limit`)."""
        rows = await self.db.fetch_all(
            "SELECT * FROM mirror_jobs WHERE done_at IS NULL AND assembly = ? ORDER BY id LIMIT ?",
            (assembly, limit),
        )
        return [MirrorJob.from_row(row) for row in rows]

    async def waiting_counts(self) -> dict[str, int]:
        """Jobs not mirrored yet, per assembly (assemblies with none are left out)."""
        rows = await self.db.fetch_all(
            "SELECT assembly, COUNT(*) AS waiting FROM mirror_jobs WHERE done_at IS NULL "
            "GROUP BY assembly"
        )
        return {row["assembly"]: int(row["waiting"]) for row in rows}

    async def job(self, job_id: int) -> MirrorJob | None:
        row = await self.db.fetch_one("SELECT * FROM mirror_jobs WHERE id = ?", (job_id,))
        return MirrorJob.from_row(row) if row else None

    async def finish_job(self, job_id: int) -> None:
        await self.db.execute("UPDATE mirror_jobs SET done_at = ? WHERE id = ?", (now_ms(), job_id))

    async def add_copy(
        self, job: MirrorJob, target_room_id: str, outbox_id: int, words: MirrorText
    ) -> None:
        """Record a copy queued for the job; the job is done from then on (a trigger marks it,
        migration v12)."""
        await self.db.execute(
            "INSERT OR IGNORE INTO mirrors (source_event_id, source_room_id, target_room_id, "
            "outbox_id, job_id, source_language, target_language, text, translation_pending, "
            "origin, shown, interpreter, settled_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.source_event_id,
                job.source_room_id,
                target_room_id,
                outbox_id,
                job.id,
                words.source_language,
                words.target_language,
                words.original,
                int(words.pending),
                *_words_columns(words),
            ),
        )

    async def outbox_ids_in_use(self) -> set[int]:
        """The copies' outbox rows, kept from pruning: a copy is edited and redacted through
        them."""
        rows = await self.db.fetch_all("SELECT outbox_id FROM mirrors")
        return {row["outbox_id"] for row in rows}

    async def copies_of(self, source_event_id: str) -> list[MirroredCopy]:
        rows = await self.db.fetch_all(
            "SELECT * FROM mirrors WHERE source_event_id = ? ORDER BY id", (source_event_id,)
        )
        return [MirroredCopy.from_row(row) for row in rows]

    async def copy_in(self, source_event_id: str, target_room_id: str) -> MirroredCopy | None:
        row = await self.db.fetch_one(
            "SELECT * FROM mirrors WHERE source_event_id = ? AND target_room_id = ?",
            (source_event_id, target_room_id),
        )
        return MirroredCopy.from_row(row) if row else None

    async def copy_queued_as(self, outbox_id: int) -> MirroredCopy | None:
        """The mirror entry whose copy is the outbox's message `outbox_id`."""
        row = await self.db.fetch_one("SELECT * FROM mirrors WHERE outbox_id = ?", (outbox_id,))
        return MirroredCopy.from_row(row) if row else None

    async def pending_translations(self, limit: int = 20) -> list[MirroredCopy]:
        rows = await self.db.fetch_all(
            "SELECT * FROM mirrors WHERE translation_pending = 1 AND redacted = 0 "
            "ORDER BY id LIMIT ?",
            (limit,),
        )
        return [MirroredCopy.from_row(row) for row in rows]

    async def update_copy(self, copy_id: int, words: MirrorText) -> None:
        """The copy now says `words`: the author's edit, a late translation, a correction."""
        await self.db.execute(
            "UPDATE mirrors SET text = ?, translation_pending = ?, origin = ?, shown = ?, "
            "interpreter = ?, settled_at = COALESCE(settled_at, ?), revision = revision + 1 "
            "WHERE id = ?",
            (words.original, int(words.pending), *_words_columns(words), copy_id),
        )

    async def mark_redacted(self, copy_id: int) -> None:
        await self.db.execute("UPDATE mirrors SET redacted = 1 WHERE id = ?", (copy_id,))

    async def forget_finished_jobs_before(self, cutoff_ms: int) -> int:
        """Drop finished jobs no copy points at: edits, redactions, messages that went nowhere
        or were given up. A job with copies stays: its event is what edits of the copies, the
        retries of their translation and the minutes' transcript are made from."""
        return await self.db.execute_rowcount(
            "DELETE FROM mirror_jobs WHERE done_at IS NOT NULL AND done_at < ? "
            "AND kind != 'interpretation' "
            "AND NOT EXISTS (SELECT 1 FROM mirrors WHERE mirrors.job_id = mirror_jobs.id)",
            (cutoff_ms,),
        )

    async def paused_assemblies(self) -> set[str]:
        rows = await self.db.fetch_all("SELECT assembly FROM mirroring_paused")
        return {row["assembly"] for row in rows}

    async def pause(self, assembly: str, user_id: str) -> bool:
        changed = await self.db.execute_rowcount(
            "INSERT OR IGNORE INTO mirroring_paused (assembly, paused_by, paused_at) "
            "VALUES (?, ?, ?)",
            (assembly, user_id, now_ms()),
        )
        return changed == 1

    async def resume(self, assembly: str) -> bool:
        changed = await self.db.execute_rowcount(
            "DELETE FROM mirroring_paused WHERE assembly = ?", (assembly,)
        )
        return changed == 1

    async def transcript(self, assembly: str, since: int, until: int) -> list[TranscriptRow]:
        """Messages mirrored between `since` and `until`, one row per target language. Copies
        made before their words were recorded are read back from the translation cache."""
        rows = await self.db.fetch_all(
            "SELECT j.id, j.assembly, j.kind, j.source_event_id, j.source_room_id, j.payload, "
            "j.created_at, m.text, "
            "m.source_language, m.target_language, m.origin, m.interpreter, m.settled_at, "
            "m.target_room_id = j.source_room_id AS companion, "
            "CASE WHEN m.origin IS NULL THEN (SELECT c.translated FROM translation_cache c "
            "WHERE c.source = m.source_language AND c.target = m.target_language "
            "AND c.text = m.text ORDER BY c.created_at DESC LIMIT 1) "
            "WHEN m.origin IN ('pending', 'as_written') THEN NULL ELSE m.shown END AS translated "
            "FROM mirror_jobs j JOIN mirrors m ON m.job_id = j.id "
            "WHERE j.assembly = ? AND j.kind = 'message' AND m.redacted = 0 "
            "AND j.created_at BETWEEN ? AND ? ORDER BY j.id, m.id",
            (assembly, since, until),
        )
        found = []
        for row in rows:
            job = MirrorJob.from_row(row)
            event = job.event
            settled = row["settled_at"]
            found.append(
                TranscriptRow(
                    source_event_id=job.source_event_id,
                    sender=event.sender if event else "",
                    speaker=job.speaker,
                    center=job.center,
                    ts=event.ts if event else row["created_at"],
                    text=row["text"],
                    source_language=row["source_language"],
                    target_language=row["target_language"],
                    translated=row["translated"],
                    origin=Origin(row["origin"]) if row["origin"] else None,
                    interpreter=row["interpreter"],
                    settled_in_time=settled is not None and settled <= until,
                    companion=bool(row["companion"]),
                )
            )
        return found

    async def add_interpretation(
        self, assembly: str, event: IncomingEvent, speaker: str, center: str, interprets: str | None
    ) -> None:
        """An interpreter on duty said this: kept for the minutes beside the words it
        interprets (`interprets`, a source event id), and never mirrored."""
        payload = {**job_payload(event, speaker, center), "interprets": interprets}
        await self.add_job(
            assembly, event.event_id, event.room_id, "interpretation", payload, done=True
        )

    async def interpretations(
        self, assembly: str, since: int, until: int
    ) -> list[InterpretationRow]:
        rows = await self.db.fetch_all(
            "SELECT * FROM mirror_jobs "
            "WHERE assembly = ? AND kind = 'interpretation' AND created_at BETWEEN ? AND ? "
            "ORDER BY id",
            (assembly, since, until),
        )
        jobs = [MirrorJob.from_row(row) for row in rows]
        return [
            InterpretationRow(
                interprets=job.interprets,
                sender=job.event.sender,
                speaker=job.speaker,
                room_id=job.source_room_id,
                ts=job.event.ts,
                text=job.event.body,
            )
            for job in jobs
            if job.event is not None
        ]


@dataclass(frozen=True)
class InterpretationRow:
    """What an interpreter on duty said, and the source event of the words it interprets."""

    interprets: str | None
    sender: str
    speaker: str
    room_id: str
    ts: int
    text: str


def _words_columns(words: MirrorText) -> tuple[str, str, str | None, int | None]:
    """origin, shown, interpreter and settled_at of a copy saying `words`."""
    settled = None if words.pending else now_ms()
    return str(words.kind), words.shown, words.interpreter, settled


class SqliteTranslationCache:
    """Translations kept for as long as they are among the newest `keep_newest` entries (the
    hourly pruning): a phrase is sent to the provider once per language pair.

    A translation may finish while a command handler holds the database (its reply quotes a
    title being translated). Writing it must not wait for that transaction, which is waiting for
    the translation: new entries are kept in memory and written by a task of their own.

    Most texts are new (people rarely say the same sentence twice), so which entries the table
    holds is read once, as a set of their hashes: a text not among them is not looked for.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._unwritten: dict[tuple[str, str, str, str], str] = {}
        self._writer: asyncio.Task[None] | None = None
        self._stored: set[int] | None = None

    async def get(self, provider: str, source: str, target: str, text: str) -> str | None:
        key = (provider, source, target, text)
        if key in self._unwritten:
            return self._unwritten[key]
        if hash(key) not in await self._stored_keys():
            return None
        row = await self.db.fetch_one(
            "SELECT translated FROM translation_cache "
            "WHERE provider = ? AND source = ? AND target = ? AND text = ?",
            key,
        )
        return row["translated"] if row else None

    async def put(
        self, provider: str, source: str, target: str, text: str, translated: str
    ) -> None:
        self._unwritten[(provider, source, target, text)] = translated
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())

    async def flush(self) -> None:
        if self._writer is not None:
            await self._writer

    async def any_provider(self, source: str, target: str, text: str) -> str | None:
        """A translation the mirror already paid for (any provider), if there is one."""
        if source == target:
            return None
        row = await self.db.fetch_one(
            "SELECT translated FROM translation_cache WHERE source = ? AND target = ? "
            "AND text = ? ORDER BY created_at DESC LIMIT 1",
            (source, target, text),
        )
        return row["translated"] if row else None

    async def keep_newest(self, entries: int) -> int:
        """Forget all but the `entries` most recently stored translations. The minutes of an
        old meeting then show an evicted line in its original words only."""
        return await self.db.execute_rowcount(
            "DELETE FROM translation_cache WHERE rowid NOT IN "
            "(SELECT rowid FROM translation_cache ORDER BY created_at DESC LIMIT ?)",
            (entries,),
        )

    async def _stored_keys(self) -> set[int]:
        if self._stored is None:
            rows = await self.db.fetch_all(
                "SELECT provider, source, target, text FROM translation_cache"
            )
            self._stored = {hash(tuple(row)) for row in rows}
        return self._stored

    async def _write(self) -> None:
        while self._unwritten:
            batch = dict(self._unwritten)
            stored = await self._stored_keys()
            for chunk in in_chunks(list(batch.items()), CHUNK // 6):
                # One statement for many entries: atomic by itself.
                await self.db.execute(
                    "INSERT OR REPLACE INTO translation_cache "
                    "(provider, source, target, text, translated, created_at) VALUES "
                    + ", ".join("(?, ?, ?, ?, ?, ?)" for _ in chunk),
                    [value for key, translated in chunk for value in (*key, translated, now_ms())],
                )
                stored.update(hash(key) for key, _ in chunk)
            for key in batch:
                if self._unwritten.get(key) == batch[key]:
                    del self._unwritten[key]
