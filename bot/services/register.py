"""The decision register: every meeting's agreements and poll results, found by their words in
any language of the assembly, ignoring case and accents.

Each decision is kept in the register once per language: the words as written, and their
translation into each other language. Translations come first from what the database already
holds (the translation the other rooms were shown, which the cache kept); what is still missing
is asked of the translator by a loop of its own, outside any transaction, and written after.
A search first adds what the database holds, so a decision told a moment ago is found at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.delivery import QuickTranslator
from bot.domain.assembly import Assembly, AssemblyDirectory
from bot.domain.meetings import Meeting
from bot.storage.database import Database
from bot.storage.decisions_store import DecisionsStore, LogRecord
from bot.storage.meetings_store import MeetingsStore
from bot.storage.mirror_store import SqliteTranslationCache
from bot.storage.polls_store import PollsStore
from bot.storage.register_store import RegisterStore

log = logging.getLogger(__name__)

# How many decisions a search answers with (the best first).
MOST_FOUND = 10
# How often the loop looks for translations still missing, and how many it asks for at once.
KEEP_EVERY_SECONDS = 60.0
TRANSLATIONS_PER_ROUND = 20


@dataclass(frozen=True)
class Found:
    """One decision a search found: the entry, its meeting, and its number as chat gave it."""

    entry: LogRecord
    meeting: Meeting | None
    number: int | None


def worded_by_bot(entry: LogRecord) -> bool:
    """An entry the bot worded itself (an approval of minutes): its other languages come from
    the catalogs, not from a machine."""
    return bool(entry.details and entry.details.get("worded"))


class Register:
    def __init__(
        self,
        *,
        db: Database,
        store: RegisterStore,
        decisions: DecisionsStore,
        meetings: MeetingsStore,
        polls: PollsStore,
        cache: SqliteTranslationCache,
        translator: QuickTranslator,
        directory: AssemblyDirectory,
        every_seconds: float = KEEP_EVERY_SECONDS,
    ) -> None:
        self._db = db
        self._store = store
        self._decisions = decisions
        self._meetings = meetings
        self._polls = polls
        self._cache = cache
        self._translator = translator
        self._directory = directory
        self._every = every_seconds

    async def search(self, assembly: Assembly, words: Sequence[str]) -> list[Found]:
        """Inside the command's transaction: only the database is read."""
        await self.catch_up(assembly)
        hits = await self._store.search(assembly.name, words, MOST_FOUND)
        found = []
        for hit in hits:
            entry = await self._decisions.entry(hit.decision_id)
            if entry is None or entry.undone_at is not None:
                continue
            meeting = await self._meetings.meeting(entry.meeting_id) if entry.meeting_id else None
            found.append(Found(entry, meeting, await self._number(entry)))
        return found

    async def _number(self, entry: LogRecord) -> int | None:
        if entry.poll_id is None:
            return entry.number
        poll = await self._polls.poll(entry.poll_id)
        return poll.number if poll is not None else None

    async def catch_up(self, assembly: Assembly) -> list[tuple[LogRecord, str]]:
        """Index what the database already holds; returns the (decision, language) pairs whose
        translation must still be asked of the translator. Undone decisions leave the register."""
        languages = list(dict.fromkeys(room.language for room in assembly.rooms))
        indexed = await self._store.indexed(assembly.name)
        in_register = {decision for decision, _ in indexed}
        missing = []
        undone = []
        for entry in await self._decisions.decisions_of(assembly.name):
            assert entry.id is not None
            if entry.undone_at is not None:
                if entry.id in in_register:
                    undone.append(entry.id)
                continue
            for language in dict.fromkeys([entry.language, *languages]):
                if (entry.id, language) in indexed:
                    continue
                words = await self._words_in(entry, language)
                if words is None:
                    missing.append((entry, language))
                else:
                    await self._add(entry, language, words)
        await self._store.forget(undone)
        return missing

    async def _words_in(self, entry: LogRecord, language: str) -> str | None:
        if language == entry.language:
            return entry.text
        stored = entry.translations.get(language)
        if stored:
            return stored
        return await self._cache.any_provider(entry.language, language, entry.text)

    async def _add(self, entry: LogRecord, language: str, words: str) -> None:
        assert entry.id is not None
        machine = language != entry.language and not worded_by_bot(entry)
        await self._store.add(entry.id, entry.assembly, language, words, machine=machine)

    # -- the loop that asks for what is missing ---------------------------------------------------

    async def keep(self, stop: asyncio.Event) -> None:
        """Beside the sync loop until `stop`: every so often, translate what is missing."""
        while not stop.is_set():
            try:
                await self.keep_once()
            except Exception:
                log.exception("the decision register could not be brought up to date")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._every)

    async def keep_once(self) -> int:
        """One round for every assembly; returns how many translations it added."""
        added = 0
        for assembly in self._directory.assemblies:
            async with self._db.transaction():
                missing = await self.catch_up(assembly)
            found = []
            for entry, language in missing[:TRANSLATIONS_PER_ROUND]:
                translated = await self._translator.translate_quickly(
                    entry.text, entry.language, language
                )
                if translated:
                    found.append((entry, language, translated))
            async with self._db.transaction():
                indexed = await self._store.indexed(assembly.name)
                for entry, language, translated in found:
                    if (entry.id, language) not in indexed:
                        await self._add(entry, language, translated)
                        added += 1
        return added
