"""Schema migrations: one function per version, never edited once shipped; add a new one.

Each runs inside one transaction together with its `PRAGMA user_version` bump.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol


class SchemaWriter(Protocol):
    """What a migration may do to the database (bot.storage.database.Database is one)."""

    async def executescript(self, script: str) -> None: ...

    async def execute(self, sql: str) -> int:
        """One statement, which may hold semicolons of its own (a trigger's body)."""
        ...


Migration = Callable[[SchemaWriter], Awaitable[None]]


async def v1_runtime(db: SchemaWriter) -> None:
    """What the Matrix runtime needs to survive a restart without losing or repeating work."""
    await db.executescript(
        """
        CREATE TABLE kv (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE handled_events (
            event_id TEXT PRIMARY KEY,
            room_id TEXT NOT NULL,
            handled_at INTEGER NOT NULL
        );
        CREATE TABLE room_joins (
            room_id TEXT PRIMARY KEY,
            joined_ts INTEGER NOT NULL
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            txn_id TEXT NOT NULL UNIQUE,
            room_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            content TEXT NOT NULL,
            purpose TEXT NOT NULL DEFAULT 'reply',
            source_event_id TEXT,
            event_id TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            sent_at INTEGER
        );
        CREATE INDEX outbox_pending ON outbox (id) WHERE event_id IS NULL AND failed = 0;
        CREATE INDEX outbox_source ON outbox (source_event_id, room_id);
        """
    )


async def v2_meetings(db: SchemaWriter) -> None:
    """Meetings, chairs, attendance, agenda, speaker stack and turns."""
    # Times are epoch milliseconds. The partial unique indexes hold the rules the code relies on:
    # one open meeting per assembly, one current item and one current speaker per meeting.
    await db.executescript(
        """
        CREATE TABLE meetings (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            assembly TEXT NOT NULL,
            title TEXT NOT NULL,
            title_language TEXT NOT NULL,
            started_by TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            ended_at INTEGER,
            stack_policy TEXT NOT NULL,
            turn_limit_seconds INTEGER,
            next_hand_seq INTEGER NOT NULL DEFAULT 1
        );
        CREATE UNIQUE INDEX meetings_one_open ON meetings (assembly) WHERE ended_at IS NULL;
        CREATE TABLE meeting_chairs (
            meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
            user_id TEXT NOT NULL,
            added_by TEXT NOT NULL,
            added_at INTEGER NOT NULL,
            PRIMARY KEY (meeting_id, user_id)
        );
        CREATE TABLE attendance (
            meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
            user_id TEXT NOT NULL,
            center TEXT NOT NULL,
            how TEXT NOT NULL,
            first_seen_at INTEGER NOT NULL,
            PRIMARY KEY (meeting_id, user_id)
        );
        CREATE TABLE agenda_items (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            title TEXT NOT NULL,
            language TEXT NOT NULL,
            timebox_seconds INTEGER,
            owner TEXT,
            added_by TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'current', 'done')),
            started_at INTEGER,
            ended_at INTEGER,
            timebox_notified INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id, position);
        CREATE UNIQUE INDEX agenda_items_one_current ON agenda_items (meeting_id)
            WHERE status = 'current';
        CREATE TABLE hands (
            meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
            user_id TEXT NOT NULL,
            center TEXT NOT NULL,
            kind TEXT NOT NULL,
            raised_seq INTEGER NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            raised_at INTEGER NOT NULL,
            PRIMARY KEY (meeting_id, user_id, kind)
        );
        CREATE TABLE turns (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
            agenda_item_id INTEGER REFERENCES agenda_items (id) ON DELETE SET NULL,
            user_id TEXT NOT NULL,
            center TEXT NOT NULL,
            kind TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            ended_at INTEGER,
            limit_seconds INTEGER,
            limit_notified INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX turns_meeting ON turns (meeting_id, id);
        CREATE UNIQUE INDEX turns_one_current ON turns (meeting_id) WHERE ended_at IS NULL;
        CREATE TABLE stack_messages (
            meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
            room_id TEXT NOT NULL,
            outbox_id INTEGER NOT NULL,
            PRIMARY KEY (meeting_id, room_id)
        );
        """
    )


async def v3_polls(db: SchemaWriter) -> None:
    """Polls, their per-room start events, and responses."""
    # Times are epoch milliseconds. A poll's start event is queued once per room; its event id is
    # learned from the outbox once sent. `voter` is the Matrix id, or for a secret poll a keyed
    # hash whose key is erased at close, so afterwards no one can tell who voted for what.
    # `decisions` is the decision log the minutes read; polls add their outcomes to it.
    await db.executescript(
        """
        CREATE TABLE polls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            assembly TEXT NOT NULL,
            meeting_id INTEGER REFERENCES meetings (id) ON DELETE SET NULL,
            kind TEXT NOT NULL CHECK (kind IN ('yes_no', 'choice', 'consensus')),
            rule TEXT,
            question TEXT NOT NULL,
            language TEXT NOT NULL,
            options TEXT NOT NULL DEFAULT '[]',
            max_selections INTEGER NOT NULL DEFAULT 1,
            secret INTEGER NOT NULL DEFAULT 0,
            ballot_key TEXT,
            quorum_overall INTEGER,
            quorum_per_center INTEGER,
            deadline_at INTEGER,
            created_by TEXT NOT NULL,
            created_in TEXT NOT NULL,
            source_event_id TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            closed_at INTEGER,
            closed_by TEXT
        );
        CREATE INDEX polls_open ON polls (assembly, id) WHERE closed_at IS NULL;
        CREATE TABLE poll_rooms (
            poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
            room_id TEXT NOT NULL,
            language TEXT NOT NULL,
            outbox_id INTEGER NOT NULL,
            start_event_id TEXT UNIQUE,
            PRIMARY KEY (poll_id, room_id)
        );
        CREATE TABLE poll_responses (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
            event_id TEXT NOT NULL UNIQUE,
            room_id TEXT NOT NULL,
            voter TEXT NOT NULL,
            center TEXT NOT NULL,
            answers TEXT NOT NULL,
            reason TEXT,
            ts INTEGER NOT NULL,
            via TEXT NOT NULL CHECK (via IN ('native', 'text'))
        );
        CREATE INDEX poll_responses_poll ON poll_responses (poll_id, ts);
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            assembly TEXT NOT NULL,
            meeting_id INTEGER REFERENCES meetings (id) ON DELETE SET NULL,
            kind TEXT NOT NULL CHECK (kind IN ('poll', 'agreed', 'action', 'info', 'idea')),
            text TEXT NOT NULL,
            language TEXT NOT NULL,
            author TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            poll_id INTEGER UNIQUE REFERENCES polls (id),
            outcome TEXT,
            details TEXT
        );
        CREATE INDEX decisions_assembly ON decisions (assembly, created_at);
        CREATE INDEX decisions_meeting ON decisions (meeting_id, created_at)
        """
    )


async def v4_mirroring(db: SchemaWriter) -> None:
    """Mirrored messages and the translation cache."""
    await db.executescript(
        """
        CREATE TABLE mirror_jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            assembly TEXT NOT NULL,
            source_event_id TEXT NOT NULL UNIQUE,
            source_room_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            done_at INTEGER
        );
        CREATE INDEX mirror_jobs_waiting ON mirror_jobs (id) WHERE done_at IS NULL;
        CREATE TABLE mirrors (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source_event_id TEXT NOT NULL,
            source_room_id TEXT NOT NULL,
            target_room_id TEXT NOT NULL,
            outbox_id INTEGER NOT NULL REFERENCES outbox (id),
            job_id INTEGER NOT NULL REFERENCES mirror_jobs (id),
            source_language TEXT NOT NULL,
            target_language TEXT NOT NULL,
            text TEXT NOT NULL,
            translation_pending INTEGER NOT NULL DEFAULT 0,
            revision INTEGER NOT NULL DEFAULT 0,
            redacted INTEGER NOT NULL DEFAULT 0,
            UNIQUE (source_event_id, target_room_id)
        );
        CREATE INDEX mirrors_pending ON mirrors (id) WHERE translation_pending = 1;
        CREATE INDEX mirrors_outbox ON mirrors (outbox_id);
        CREATE TABLE translation_cache (
            provider TEXT NOT NULL,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            text TEXT NOT NULL,
            translated TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (provider, source, target, text)
        );
        CREATE INDEX translation_cache_text ON translation_cache (source, target, text);
        CREATE TABLE mirroring_paused (
            assembly TEXT PRIMARY KEY,
            paused_by TEXT NOT NULL,
            paused_at INTEGER NOT NULL
        );
        CREATE INDEX outbox_event ON outbox (event_id)
        """
    )


async def v5_records(db: SchemaWriter) -> None:
    """Decision log entries, scheduled meetings and reminders."""
    # Times are epoch milliseconds. v3 made `decisions`; the columns added here let the chairs'
    # own entries keep their agenda item, author, translations, owner and due date, and be undone.
    # A schedule keeps the local wall-clock start in its zone, so a recurring meeting stays at
    # its local time across daylight-saving changes. A reminder is claimed in `sent_reminders`
    # in the same transaction that queues it (or decides to skip it): never sent twice.
    # `assembly_rooms` is a copy of the configured rooms (language, center, time zone) so that
    # `asamblea minutes --database` can show both centers' times without the configuration.
    await db.executescript(
        """
        ALTER TABLE decisions ADD COLUMN agenda_item_id INTEGER
            REFERENCES agenda_items (id) ON DELETE SET NULL;
        ALTER TABLE decisions ADD COLUMN author_name TEXT;
        ALTER TABLE decisions ADD COLUMN author_center TEXT;
        ALTER TABLE decisions ADD COLUMN room_id TEXT;
        ALTER TABLE decisions ADD COLUMN source_event_id TEXT;
        ALTER TABLE decisions ADD COLUMN translations TEXT;
        ALTER TABLE decisions ADD COLUMN owner TEXT;
        ALTER TABLE decisions ADD COLUMN owner_name TEXT;
        ALTER TABLE decisions ADD COLUMN owner_center TEXT;
        ALTER TABLE decisions ADD COLUMN due_date TEXT;
        ALTER TABLE decisions ADD COLUMN undone_at INTEGER;
        ALTER TABLE decisions ADD COLUMN undone_by TEXT;
        CREATE UNIQUE INDEX decisions_source_event ON decisions (source_event_id)
            WHERE source_event_id IS NOT NULL;
        CREATE INDEX decisions_due ON decisions (due_date)
            WHERE kind = 'action' AND due_date IS NOT NULL AND undone_at IS NULL;
        CREATE TABLE schedules (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            assembly TEXT NOT NULL,
            title TEXT NOT NULL,
            language TEXT NOT NULL,
            local_start TEXT NOT NULL,
            zone TEXT NOT NULL,
            recurrence TEXT NOT NULL
                CHECK (recurrence IN ('once', 'weekly', 'biweekly', 'monthly')),
            created_by TEXT NOT NULL,
            created_in TEXT NOT NULL,
            source_event_id TEXT UNIQUE,
            created_at INTEGER NOT NULL,
            cancelled_at INTEGER,
            cancelled_by TEXT
        );
        CREATE INDEX schedules_active ON schedules (assembly, id) WHERE cancelled_at IS NULL;
        CREATE TABLE sent_reminders (
            kind TEXT NOT NULL CHECK (kind IN ('meeting', 'action')),
            ref_id INTEGER NOT NULL,
            occurrence TEXT NOT NULL,
            offset_seconds INTEGER NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'skipped')),
            handled_at INTEGER NOT NULL,
            PRIMARY KEY (kind, ref_id, occurrence, offset_seconds)
        );
        CREATE TABLE assembly_rooms (
            assembly TEXT NOT NULL,
            room_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            language TEXT NOT NULL,
            center TEXT NOT NULL,
            timezone TEXT NOT NULL,
            PRIMARY KEY (assembly, room_id)
        )
        """
    )


async def v6_fair_use(db: SchemaWriter) -> None:
    """Earlier uploads (minutes posted again from them), and indexes for the hourly pruning."""
    # `uploads` keeps, per file (say "minutes of meeting 3 in this room, as Markdown"), the
    # fingerprint of the content last uploaded and where it lies (an mxc URL, or for an
    # encrypted room the encrypted-file object with its key). Sent outbox rows no longer keep
    # their content; the rows sent before this version drop theirs here.
    await db.executescript(
        """
        CREATE TABLE uploads (
            reuse_key TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            attachment TEXT NOT NULL,
            uploaded_at INTEGER NOT NULL
        );
        UPDATE outbox SET content = '{}' WHERE event_id IS NOT NULL;
        CREATE INDEX mirror_jobs_done ON mirror_jobs (done_at) WHERE done_at IS NOT NULL;
        CREATE INDEX mirrors_job ON mirrors (job_id);
        CREATE INDEX translation_cache_age ON translation_cache (created_at);
        CREATE INDEX stack_messages_outbox ON stack_messages (outbox_id);
        CREATE INDEX poll_rooms_outbox ON poll_rooms (outbox_id)
        """
    )


async def v7_secret_ballots(db: SchemaWriter) -> None:
    """Secret polls are voted in a direct chat with the bot, and sealed into counts at the close."""
    # `ballot_rooms`: each person's direct chat with the bot (room_id NULL while the bot is still
    # to create it). A poll_rooms row with `private` = 1 is a ballot posted in such a chat.
    # `secret_counts` is all that is kept of a closed secret poll's ballots: how many ballots of
    # each center said the same thing. The responses themselves are deleted at the close.
    await db.executescript(
        """
        ALTER TABLE poll_rooms ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE ballot_rooms (
            user_id TEXT PRIMARY KEY,
            room_id TEXT UNIQUE,
            requested_at INTEGER NOT NULL
        );
        CREATE TABLE secret_counts (
            poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
            center TEXT NOT NULL,
            answers TEXT NOT NULL,
            spoiled INTEGER NOT NULL,
            reason TEXT,
            ballots INTEGER NOT NULL
        );
        CREATE INDEX secret_counts_poll ON secret_counts (poll_id)
        """
    )


async def v8_names_and_numbers(db: SchemaWriter) -> None:
    """People's names kept for the minutes, the chairs a meeting was opened with, and entries
    and polls numbered within their meeting."""
    # `people`: the name and center the bot last saw for each person of an assembly (names are
    # kept without a trailing center), so minutes made after a restart or from the command line
    # name people rather than show their Matrix ids. `meetings.standing_chairs`: the configured
    # chairs announced when the meeting opened, which its minutes list again.
    # `decisions.number`: an entry's number among the entries of its kind in its meeting (or
    # outside any meeting); a number freed by `!undo` is given again. `polls.number`: a poll's
    # number in its meeting; a poll opened between meetings continues the numbering of the
    # latest meeting (`numbered_in`), so `#n` is read in the latest meeting's numbering.
    await db.executescript(
        """
        CREATE TABLE people (
            assembly TEXT NOT NULL,
            user_id TEXT NOT NULL,
            name TEXT NOT NULL,
            center TEXT NOT NULL,
            seen_at INTEGER NOT NULL,
            PRIMARY KEY (assembly, user_id)
        );
        ALTER TABLE meetings ADD COLUMN standing_chairs TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE decisions ADD COLUMN number INTEGER;
        UPDATE decisions SET number = 1 + (
            SELECT count(*) FROM decisions AS d
            WHERE d.assembly = decisions.assembly AND d.meeting_id IS decisions.meeting_id
                AND d.kind = decisions.kind AND d.undone_at IS NULL AND d.id < decisions.id
        ) WHERE kind != 'poll';
        CREATE UNIQUE INDEX decisions_number
            ON decisions (assembly, ifnull(meeting_id, 0), kind, number)
            WHERE undone_at IS NULL AND number IS NOT NULL;
        ALTER TABLE polls ADD COLUMN numbered_in INTEGER;
        ALTER TABLE polls ADD COLUMN number INTEGER;
        UPDATE polls SET numbered_in = ifnull(meeting_id, (
            SELECT m.id FROM meetings AS m
            WHERE m.assembly = polls.assembly AND m.started_at <= polls.created_at
            ORDER BY m.started_at DESC, m.id DESC LIMIT 1
        ));
        UPDATE polls SET number = (
            SELECT count(*) FROM polls AS p
            WHERE p.assembly = polls.assembly AND p.numbered_in IS polls.numbered_in
                AND p.id <= polls.id
        );
        CREATE UNIQUE INDEX polls_number ON polls (assembly, ifnull(numbered_in, 0), number)
        """
    )


async def v9_language_justice(db: SchemaWriter) -> None:
    """Interpreters, their corrections remembered per language pair, and glossary terms added in
    chat. Each copy records where its words came from (`origin`: machine, memory, interpreter,
    as written, pending), the words it shows, who interpreted it, and when its words stopped
    being pending (`settled_at`), so the minutes can tell what reached the other room in time."""
    await db.executescript(
        """
        CREATE TABLE interpreters (
            assembly TEXT NOT NULL,
            user_id TEXT NOT NULL,
            added_by TEXT NOT NULL,
            added_at INTEGER NOT NULL,
            on_duty INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (assembly, user_id)
        );
        CREATE TABLE translation_memory (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            assembly TEXT NOT NULL,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            key TEXT NOT NULL,
            original TEXT NOT NULL,
            text TEXT NOT NULL,
            interpreter TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            UNIQUE (assembly, source, target, key)
        );
        CREATE TABLE glossary_terms (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            assembly TEXT NOT NULL,
            term TEXT NOT NULL,
            translation TEXT,
            source TEXT,
            target TEXT,
            added_by TEXT NOT NULL,
            added_at INTEGER NOT NULL
        );
        CREATE INDEX glossary_terms_assembly ON glossary_terms (assembly);
        ALTER TABLE mirrors ADD COLUMN origin TEXT;
        ALTER TABLE mirrors ADD COLUMN shown TEXT;
        ALTER TABLE mirrors ADD COLUMN interpreter TEXT;
        ALTER TABLE mirrors ADD COLUMN settled_at INTEGER;
        """
    )


async def v10_memory_confirmations(db: SchemaWriter) -> None:
    """Corrections of short sentences waiting for a second interpreter before the translation
    memory learns them: one row per sentence, correction (`text_key`, its memory key) and
    interpreter, so that only a different person's agreeing correction confirms one."""
    await db.executescript(
        """
        CREATE TABLE memory_proposals (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            assembly TEXT NOT NULL,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            key TEXT NOT NULL,
            text_key TEXT NOT NULL,
            original TEXT NOT NULL,
            text TEXT NOT NULL,
            interpreter TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            UNIQUE (assembly, source, target, key, text_key, interpreter)
        )
        """
    )


async def v11_secret_floor(db: SchemaWriter) -> None:
    """A secret poll keeps the floor it was opened with: the fewest ballots a center needs for
    its figures to be shown. NULL (polls opened before) means the default floor."""
    await db.executescript("ALTER TABLE polls ADD COLUMN secret_floor INTEGER")


async def v12_turn_ends(db: SchemaWriter) -> None:
    """What closed each turn (the speaker, a chair, the next call, the end of the meeting) and
    when its speaker last wrote during it, so that speaking time counts what was seen of the
    turn. NULL in both for turns closed before: they count until they were closed."""
    await db.executescript(
        """
        ALTER TABLE turns ADD COLUMN ended_by TEXT;
        ALTER TABLE turns ADD COLUMN last_word_at INTEGER;
        """
    )


async def v13_commitments(db: SchemaWriter) -> None:
    """Commitments that outlive their meeting, a register of decisions searchable in every
    language, and minutes approved (with corrections) by a later meeting."""
    # `commitments`: every action item, numbered across the assembly (C1, C2…) so that the
    # number stays the same from one meeting to the next; what it says, its owner and due date
    # are kept with it as the action item had them. `status` is open, done, dropped (with the
    # reason in `note`, in the language of
    # `note_language`) or withdrawn (its action item was undone). `commitment_events` is each
    # one's history. `decision_register` holds each agreement's and poll result's words, once
    # per language (the original, and its translations marked `machine`), for full-text search
    # that ignores case and accents. `minutes_approvals`: the meeting whose minutes were approved,
    # by which later meeting, and the decision log entry that records it; `minutes_corrections`:
    # corrections made to a meeting's minutes before they were approved. `agenda_items.title_key`:
    # an item the bot put on the agenda is titled by a catalog key, worded in each reader's
    # language rather than translated.
    await db.executescript(
        """
        CREATE TABLE commitments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            assembly TEXT NOT NULL,
            number INTEGER NOT NULL,
            decision_id INTEGER NOT NULL UNIQUE REFERENCES decisions (id),
            meeting_id INTEGER REFERENCES meetings (id) ON DELETE SET NULL,
            text TEXT NOT NULL,
            language TEXT NOT NULL,
            owner TEXT NOT NULL,
            owner_name TEXT NOT NULL,
            owner_center TEXT NOT NULL,
            room_id TEXT,
            due_date TEXT,
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'done', 'dropped', 'withdrawn')),
            made_at INTEGER NOT NULL,
            closed_at INTEGER,
            closed_by TEXT,
            note TEXT,
            note_language TEXT,
            UNIQUE (assembly, number)
        );
        CREATE INDEX commitments_open ON commitments (assembly, due_date) WHERE status = 'open';
        CREATE TABLE commitment_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            commitment_id INTEGER NOT NULL REFERENCES commitments (id) ON DELETE CASCADE,
            kind TEXT NOT NULL
                CHECK (kind IN ('made', 'done', 'dropped', 'withdrawn', 'reminded', 'reviewed')),
            at INTEGER NOT NULL,
            by TEXT,
            meeting_id INTEGER,
            note TEXT
        );
        CREATE INDEX commitment_events_of ON commitment_events (commitment_id, at);
        CREATE VIRTUAL TABLE decision_register USING fts5(
            text,
            decision_id UNINDEXED,
            assembly UNINDEXED,
            language UNINDEXED,
            machine UNINDEXED,
            tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TABLE minutes_approvals (
            meeting_id INTEGER PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
            approved_in INTEGER NOT NULL REFERENCES meetings (id),
            decision_id INTEGER REFERENCES decisions (id),
            approved_by TEXT NOT NULL,
            approved_at INTEGER NOT NULL
        );
        CREATE TABLE minutes_corrections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
            made_in INTEGER REFERENCES meetings (id),
            text TEXT NOT NULL,
            language TEXT NOT NULL,
            author TEXT NOT NULL,
            author_name TEXT NOT NULL,
            author_center TEXT NOT NULL,
            made_at INTEGER NOT NULL,
            source_event_id TEXT UNIQUE
        );
        ALTER TABLE agenda_items ADD COLUMN title_key TEXT
        """
    )


async def v14_board(db: SchemaWriter) -> None:
    """The meeting board: each assembly's board is reached by a link holding an unguessable
    token (a new one replaces the old, which then opens nothing). And letters: messages for a
    person's direct chat with the bot, kept until the chat the bot is making for them exists."""
    await db.executescript(
        """
        CREATE TABLE board_tokens (
            assembly TEXT PRIMARY KEY,
            token TEXT NOT NULL UNIQUE,
            made_by TEXT NOT NULL,
            made_at INTEGER NOT NULL
        );
        CREATE TABLE letters (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id TEXT NOT NULL,
            assembly TEXT NOT NULL,
            cause TEXT NOT NULL,
            lines TEXT NOT NULL,
            written_at INTEGER NOT NULL
        );
        CREATE INDEX letters_user ON letters (user_id)
        """
    )


async def v15_copies_finish_their_job(db: SchemaWriter) -> None:
    """A message's mirror job is done once its copies are queued: the statement that records a
    copy marks the job too, so the worker needs no statement of its own for it."""
    await db.execute(
        """
        CREATE TRIGGER mirror_copy_finishes_job AFTER INSERT ON mirrors
        BEGIN
            UPDATE mirror_jobs
            SET done_at = CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER)
            WHERE id = NEW.job_id AND done_at IS NULL;
        END
        """
    )


MIGRATIONS: list[Migration] = [
    v1_runtime,
    v2_meetings,
    v3_polls,
    v4_mirroring,
    v5_records,
    v6_fair_use,
    v7_secret_ballots,
    v8_names_and_numbers,
    v9_language_justice,
    v10_memory_confirmations,
    v11_secret_floor,
    v12_turn_ends,
    v13_commitments,
    v14_board,
    v15_copies_finish_their_job,
]
