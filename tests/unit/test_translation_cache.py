"""The translation cache in SQLite: one provider call per phrase, even inside a transaction."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.storage.database import Database
from bot.storage.mirror_store import SqliteTranslationCache


async def test_a_translation_is_kept_across_a_restart(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.db")
    cache = SqliteTranslationCache(db)
    await cache.put("libre", "en", "es", "hello", "hola")
    await cache.flush()
    await db.close()
    db = await Database.open(tmp_path / "a.db")
    assert await SqliteTranslationCache(db).get("libre", "en", "es", "hello") == "hola"
    assert await SqliteTranslationCache(db).get("google", "en", "es", "hello") is None
    await db.close()


async def test_storing_never_waits_for_a_transaction_that_is_open(tmp_path: Path) -> None:
    """A reply that quotes a title holds the database while the title is translated; the
    translation must be stored without waiting for that reply."""
    db = await Database.open(tmp_path / "a.db")
    cache = SqliteTranslationCache(db)
    async with db.transaction():
        stored = asyncio.create_task(cache.put("libre", "en", "es", "budget", "presupuesto"))
        await asyncio.wait_for(stored, timeout=1)
        assert await cache.get("libre", "en", "es", "budget") == "presupuesto"
    await cache.flush()
    row = await db.fetch_one("SELECT translated FROM translation_cache WHERE text = 'budget'")
    assert row["translated"] == "presupuesto"
    await db.close()
