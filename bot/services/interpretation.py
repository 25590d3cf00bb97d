"""Interpreters and what they teach the bot: who interprets for an assembly and who is on duty,
the translation memory of their corrections, and the glossary kept in chat.

The mirror asks this service on every message (is the speaker interpreting? is the sentence in
memory? which glossary?), so what it asks per message is kept in memory and written through to
the database, which stays the source of truth across restarts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.domain.assembly import Assembly
from bot.domain.interpretation import (
    GlossaryTerm,
    Learning,
    MemoryEntry,
    memory_key,
    merged_glossary,
    needs_confirmation,
)
from bot.domain.text_protection import EMPTY_GLOSSARY, Glossary
from bot.storage.database import Database
from bot.storage.interpretation_store import InterpretationStore


class InterpretationService:
    def __init__(
        self, db: Database, store: InterpretationStore, configured: Mapping[str, Glossary]
    ) -> None:
        self._db = db
        self._store = store
        self._configured = dict(configured)
        self._glossaries: dict[str, Glossary] = {}
        # The terms added in chat alone, which copies they change name in their label.
        self._chat_glossaries: dict[str, Glossary] = {}
        self._on_duty: dict[str, set[str]] = {}
        # Which sentences the memory holds, so that the mirror asks the database only for those.
        self._remembered: set[tuple[str, str, str, str]] = set()

    async def load(self, assemblies: tuple[Assembly, ...]) -> None:
        """Read what chat added before the restart: glossary terms, who is on duty, and which
        sentences the translation memory holds."""
        self._remembered = await self._store.memory_keys()
        terms: dict[str, list[GlossaryTerm]] = {}
        for assembly, term in await self._store.all_terms():
            terms.setdefault(assembly, []).append(term)
        for assembly in assemblies:
            chat_terms = terms.get(assembly.name, [])
            self._glossaries[assembly.name] = merged_glossary(
                self._configured.get(assembly.name, EMPTY_GLOSSARY), chat_terms
            )
            self._chat_glossaries[assembly.name] = merged_glossary(EMPTY_GLOSSARY, chat_terms)
            self._on_duty[assembly.name] = await self._store.on_duty(assembly.name)

    # -- interpreters ------------------------------------------------------------------------

    async def is_interpreter(self, assembly: Assembly, user_id: str) -> bool:
        if user_id in assembly.interpreters:
            return True
        return user_id in await self._store.interpreters(assembly.name)

    async def interpreters(self, assembly: Assembly) -> list[str]:
        named = await self._store.interpreters(assembly.name)
        return list(dict.fromkeys([*assembly.interpreters, *named]))

    async def add_interpreter(self, assembly: Assembly, user_id: str, added_by: str) -> bool:
        if user_id in assembly.interpreters:
            return False
        return await self._store.add_interpreter(assembly.name, user_id, added_by)

    async def remove_interpreter(self, assembly: Assembly, user_id: str) -> bool:
        """Only interpreters named in chat can be removed in chat; the configured ones stay."""
        if user_id in assembly.interpreters:
            return False
        removed = await self._store.remove_interpreter(assembly.name, user_id)
        if removed:
            duty = self._on_duty.setdefault(assembly.name, set())
            await self._once_stored(lambda: duty.discard(user_id))
        return removed

    def on_duty(self, assembly: str, user_id: str) -> bool:
        return user_id in self._on_duty.get(assembly, set())

    async def set_on_duty(self, assembly: Assembly, user_id: str, on: bool) -> bool:
        """Whether anything changed."""
        duty = self._on_duty.setdefault(assembly.name, set())
        if (user_id in duty) == on:
            return False
        await self._store.set_on_duty(assembly.name, user_id, on)
        await self._once_stored(lambda: duty.add(user_id) if on else duty.discard(user_id))
        return True

    # -- translation memory ------------------------------------------------------------------

    async def recall(
        self, assembly: str, source: str, target: str, text: str
    ) -> MemoryEntry | None:
        key = memory_key(text)
        if (assembly, source, target, key) not in self._remembered:
            return None
        return await self._store.recall(assembly, source, target, key)

    async def remember(
        self, assembly: str, source: str, target: str, original: str, text: str, interpreter: str
    ) -> Learning:
        """Learn an interpreter's correction of `original`; a short sentence only once a second
        interpreter has corrected it the same way (`needs_confirmation`)."""
        key = memory_key(original)
        if not key:
            return Learning.NOTHING
        if not needs_confirmation(original):
            await self._learn(assembly, source, target, key, original, text, interpreter)
            return Learning.LEARNED
        text_key = memory_key(text)
        store = self._store
        if await store.proposed_by_another(assembly, source, target, key, text_key, interpreter):
            await self._learn(assembly, source, target, key, original, text, interpreter)
            await store.drop_proposals(assembly, source, target, key)
            return Learning.CONFIRMED
        await store.propose(assembly, source, target, key, text_key, original, text, interpreter)
        return Learning.AWAITS_SECOND

    async def _learn(
        self,
        assembly: str,
        source: str,
        target: str,
        key: str,
        original: str,
        text: str,
        interpreter: str,
    ) -> None:
        await self._store.remember(assembly, source, target, key, original, text, interpreter)
        entry = (assembly, source, target, key)
        await self._once_stored(lambda: self._remembered.add(entry))

    async def memory(self, assembly: Assembly) -> list[MemoryEntry]:
        return await self._store.memory(assembly.name)

    async def forget(self, assembly: Assembly, entry_id: int) -> MemoryEntry | None:
        """Gone from the database; its key stays known until a restart, which costs one lookup
        that finds nothing."""
        return await self._store.forget(assembly.name, entry_id)

    # -- glossary ----------------------------------------------------------------------------

    def glossary(self, assembly: str) -> Glossary:
        return self._glossaries.get(assembly) or self._configured.get(assembly, EMPTY_GLOSSARY)

    def configured_glossary(self, assembly: str) -> Glossary:
        return self._configured.get(assembly, EMPTY_GLOSSARY)

    def chat_glossary(self, assembly: str) -> Glossary:
        """The terms added in chat, without the configuration's."""
        return self._chat_glossaries.get(assembly, EMPTY_GLOSSARY)

    async def terms(self, assembly: Assembly) -> list[GlossaryTerm]:
        return await self._store.terms(assembly.name)

    async def keep_term(self, assembly: Assembly, term: str, added_by: str) -> None:
        await self._store.add_term(assembly.name, term, None, None, None, added_by)
        await self._rebuild(assembly)

    async def fix_term(
        self,
        assembly: Assembly,
        term: str,
        translation: str,
        source: str,
        target: str,
        added_by: str,
    ) -> None:
        await self._store.add_term(assembly.name, term, translation, source, target, added_by)
        await self._rebuild(assembly)

    async def remove_term(self, assembly: Assembly, term_id: int) -> GlossaryTerm | None:
        removed = await self._store.remove_term(assembly.name, term_id)
        if removed is not None:
            await self._rebuild(assembly)
        return removed

    async def _rebuild(self, assembly: Assembly) -> None:
        """Applied at once: the next copy is translated with the new glossary."""
        terms = await self._store.terms(assembly.name)
        glossary = merged_glossary(self.configured_glossary(assembly.name), terms)
        chat = merged_glossary(EMPTY_GLOSSARY, terms)

        def apply() -> None:
            self._glossaries[assembly.name] = glossary
            self._chat_glossaries[assembly.name] = chat

        await self._once_stored(apply)

    async def _once_stored(self, change: Callable[[], object]) -> None:
        """What is kept in memory follows the database: it changes when the write commits."""
        self._db.on_commit(change)
