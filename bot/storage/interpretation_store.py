"""The one owner of `interpreters`, `translation_memory`, `memory_proposals` and
`glossary_terms`: who interprets for an assembly, the sentences they corrected (and the short
ones waiting for a second interpreter), and the glossary terms added in chat."""

from __future__ import annotations

import aiosqlite

from bot.domain.interpretation import GlossaryTerm, MemoryEntry
from bot.storage.database import Database
from bot.storage.runtime_store import now_ms


class InterpretationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- interpreters ------------------------------------------------------------------------

    async def add_interpreter(self, assembly: str, user_id: str, added_by: str) -> bool:
        changed = await self.db.execute_rowcount(
            "INSERT OR IGNORE INTO interpreters (assembly, user_id, added_by, added_at) "
            "VALUES (?, ?, ?, ?)",
            (assembly, user_id, added_by, now_ms()),
        )
        return changed == 1

    async def remove_interpreter(self, assembly: str, user_id: str) -> bool:
        changed = await self.db.execute_rowcount(
            "DELETE FROM interpreters WHERE assembly = ? AND user_id = ?", (assembly, user_id)
        )
        return changed == 1

    async def interpreters(self, assembly: str) -> list[str]:
        rows = await self.db.fetch_all(
            "SELECT user_id FROM interpreters WHERE assembly = ? ORDER BY added_at", (assembly,)
        )
        return [row["user_id"] for row in rows]

    async def set_on_duty(self, assembly: str, user_id: str, on_duty: bool) -> None:
        """Configured interpreters have no row until they first go on duty."""
        await self.db.execute(
            "INSERT INTO interpreters (assembly, user_id, added_by, added_at, on_duty) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (assembly, user_id) "
            "DO UPDATE SET on_duty = excluded.on_duty",
            (assembly, user_id, user_id, now_ms(), int(on_duty)),
        )

    async def on_duty(self, assembly: str) -> set[str]:
        rows = await self.db.fetch_all(
            "SELECT user_id FROM interpreters WHERE assembly = ? AND on_duty = 1", (assembly,)
        )
        return {row["user_id"] for row in rows}

    # -- translation memory ------------------------------------------------------------------

    async def remember(
        self,
        assembly: str,
        source: str,
        target: str,
        key: str,
        original: str,
        text: str,
        interpreter: str,
    ) -> None:
        """The latest correction of a sentence is the one reused."""
        await self.db.execute(
            "INSERT INTO translation_memory "
            "(assembly, source, target, key, original, text, interpreter, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (assembly, source, target, key) "
            "DO UPDATE SET original = excluded.original, text = excluded.text, "
            "interpreter = excluded.interpreter, created_at = excluded.created_at",
            (assembly, source, target, key, original, text, interpreter, now_ms()),
        )

    async def propose(
        self,
        assembly: str,
        source: str,
        target: str,
        key: str,
        text_key: str,
        original: str,
        text: str,
        interpreter: str,
    ) -> None:
        """A correction waiting for a second interpreter; the same person proposing the same
        correction again changes nothing."""
        await self.db.execute(
            "INSERT OR IGNORE INTO memory_proposals "
            "(assembly, source, target, key, text_key, original, text, interpreter, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (assembly, source, target, key, text_key, original, text, interpreter, now_ms()),
        )

    async def proposed_by_another(
        self, assembly: str, source: str, target: str, key: str, text_key: str, interpreter: str
    ) -> bool:
        """Whether someone other than `interpreter` proposed the same correction."""
        row = await self.db.fetch_one(
            "SELECT 1 FROM memory_proposals WHERE assembly = ? AND source = ? AND target = ? "
            "AND key = ? AND text_key = ? AND interpreter != ? LIMIT 1",
            (assembly, source, target, key, text_key, interpreter),
        )
        return row is not None

    async def drop_proposals(self, assembly: str, source: str, target: str, key: str) -> None:
        """The sentence is settled in the memory: what waited for it is done with."""
        await self.db.execute(
            "DELETE FROM memory_proposals "
            "WHERE assembly = ? AND source = ? AND target = ? AND key = ?",
            (assembly, source, target, key),
        )

    async def forget_proposals_before(self, cutoff: int) -> int:
        """Corrections no second interpreter agreed with before `cutoff` (epoch ms): forgotten,
        so the waiting list does not grow for ever (whoever proposes one again starts anew)."""
        return await self.db.execute_rowcount(
            "DELETE FROM memory_proposals WHERE created_at < ?", (cutoff,)
        )

    async def recall(self, assembly: str, source: str, target: str, key: str) -> MemoryEntry | None:
        row = await self.db.fetch_one(
            "SELECT * FROM translation_memory "
            "WHERE assembly = ? AND source = ? AND target = ? AND key = ?",
            (assembly, source, target, key),
        )
        return _memory_entry(row) if row else None

    async def memory_keys(self) -> set[tuple[str, str, str, str]]:
        """(assembly, source, target, key) of every remembered sentence."""
        rows = await self.db.fetch_all(
            "SELECT assembly, source, target, key FROM translation_memory"
        )
        return {(row["assembly"], row["source"], row["target"], row["key"]) for row in rows}

    async def memory(self, assembly: str) -> list[MemoryEntry]:
        rows = await self.db.fetch_all(
            "SELECT * FROM translation_memory WHERE assembly = ? ORDER BY id", (assembly,)
        )
        return [_memory_entry(row) for row in rows]

    async def forget(self, assembly: str, entry_id: int) -> MemoryEntry | None:
        row = await self.db.fetch_one(
            "SELECT * FROM translation_memory WHERE assembly = ? AND id = ?", (assembly, entry_id)
        )
        if row is None:
            return None
        await self.db.execute("DELETE FROM translation_memory WHERE id = ?", (entry_id,))
        return _memory_entry(row)

    # -- glossary ----------------------------------------------------------------------------

    async def add_term(
        self,
        assembly: str,
        term: str,
        translation: str | None,
        source: str | None,
        target: str | None,
        added_by: str,
    ) -> int:
        """A term replaces an earlier entry for the same word (and direction)."""
        await self.db.execute(
            "DELETE FROM glossary_terms WHERE assembly = ? AND lower(term) = lower(?) "
            "AND source IS ? AND target IS ?",
            (assembly, term, source, target),
        )
        return await self.db.execute(
            "INSERT INTO glossary_terms "
            "(assembly, term, translation, source, target, added_by, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (assembly, term, translation, source, target, added_by, now_ms()),
        )

    async def terms(self, assembly: str) -> list[GlossaryTerm]:
        rows = await self.db.fetch_all(
            "SELECT * FROM glossary_terms WHERE assembly = ? ORDER BY id", (assembly,)
        )
        return [_term(row) for row in rows]

    async def all_terms(self) -> list[tuple[str, GlossaryTerm]]:
        rows = await self.db.fetch_all("SELECT * FROM glossary_terms ORDER BY id")
        return [(row["assembly"], _term(row)) for row in rows]

    async def remove_term(self, assembly: str, term_id: int) -> GlossaryTerm | None:
        row = await self.db.fetch_one(
            "SELECT * FROM glossary_terms WHERE assembly = ? AND id = ?", (assembly, term_id)
        )
        if row is None:
            return None
        await self.db.execute("DELETE FROM glossary_terms WHERE id = ?", (term_id,))
        return _term(row)


def _memory_entry(row: aiosqlite.Row) -> MemoryEntry:
    return MemoryEntry(
        id=row["id"],
        source=row["source"],
        target=row["target"],
        original=row["original"],
        text=row["text"],
        interpreter=row["interpreter"],
    )


def _term(row: aiosqlite.Row) -> GlossaryTerm:
    return GlossaryTerm(
        id=row["id"],
        term=row["term"],
        translation=row["translation"],
        source=row["source"],
        target=row["target"],
        added_by=row["added_by"],
    )
