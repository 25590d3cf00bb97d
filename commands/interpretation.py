"""Language justice: interpreters, corrections, the translation memory and the glossary.

`!interpreter` / `!interprete` (standing chairs name interpreters), `!interpreters` /
`!interpretes`, `!fix` / `!corregir` (a reply to a machine copy), `!interpreting` /
`!interpretando` (on duty), `!memory` / `!memoria`, `!glossary` / `!glosario`.
"""

from __future__ import annotations

from bot.domain.assembly import Assembly
from bot.domain.authority import Role
from bot.domain.fair_use import ANNOUNCES
from bot.domain.interpretation import GlossaryTerm, Learning, MemoryEntry
from bot.domain.limits import MAX_ENTRY, MAX_TITLE
from bot.domain.messages import Code, Msg, Name
from bot.domain.outcomes import Announce, Outcome, React, Reply, announce, reply
from bot.framework.commands import CommandGroup, Param, command, read_number, to_person
from bot.framework.context import CommandContext
from bot.framework.errors import CommandError, NeedsRole, UsageError
from bot.services.interpretation import InterpretationService
from bot.services.mirror import MirrorWorker
from bot.services.people import People

FIXED = "✅"
# The most lines one list shows: a long memory or glossary would not fit in one message.
MAX_LISTED = 50

ON_WORDS = frozenset({"on", "yes", "si", "sí", "activo"})
OFF_WORDS = frozenset({"off", "no"})
ADD_WORDS = frozenset({"add", "agregar", "añadir", "anadir"})
KEEP_WORDS = frozenset({"keep", "mantener", "conservar"})
REMOVE_WORDS = frozenset({"remove", "quitar", "borrar"})


class InterpretationCommands(CommandGroup):
    group_name = "interpretation"
    help_names = ("interpretation", "interpretación")

    def __init__(
        self,
        interpretation: InterpretationService,
        mirror: MirrorWorker,
        people: People,
        prefix: str,
    ) -> None:
        self._interpretation = interpretation
        self._mirror = mirror
        self._people = people
        self._prefix = prefix

    # -- interpreters ------------------------------------------------------------------------

    @command(
        "interpreter",
        "interprete",
        Param("person", convert=to_person),
        needs=Role.STANDING_CHAIR,
        cost=ANNOUNCES,
    )
    async def interpreter(self, ctx: CommandContext, person: str) -> Announce:
        self._check_member(ctx.assembly, person)
        if not await self._interpretation.add_interpreter(ctx.assembly, person, ctx.sender):
            raise CommandError("interpretation.already", name=self._person(ctx, person))
        return announce(
            Msg.of(
                "interpretation.named",
                name=self._person(ctx, person),
                by=ctx.sender_person,
                fix=Code(self._prefix + ("corregir" if ctx.language == "es" else "fix")),
            )
        )

    @command(
        "uninterpreter",
        "quitarinterprete",
        Param("person", convert=to_person),
        needs=Role.STANDING_CHAIR,
        cost=ANNOUNCES,
    )
    async def uninterpreter(self, ctx: CommandContext, person: str) -> Announce:
        if not await self._interpretation.remove_interpreter(ctx.assembly, person):
            raise CommandError("interpretation.not_named", name=self._person(ctx, person))
        return announce(
            Msg.of(
                "interpretation.unnamed",
                name=self._person(ctx, person),
                by=ctx.sender_person,
            )
        )

    @command("interpreters", "interpretes")
    async def interpreters(self, ctx: CommandContext) -> Reply:
        found = await self._interpretation.interpreters(ctx.assembly)
        if not found:
            return reply(Msg.of("interpretation.none"))
        lines = [Msg.of("interpretation.list_header", count=len(found))]
        for user_id in found:
            on_duty = self._interpretation.on_duty(ctx.assembly.name, user_id)
            key = "interpretation.list_line_on_duty" if on_duty else "interpretation.list_line"
            lines.append(Msg.of(key, name=self._person(ctx, user_id)))
        return reply(*lines)

    @command(
        "interpreting",
        "interpretando",
        Param("switch"),
        needs=Role.INTERPRETER,
        cost=ANNOUNCES,
    )
    async def interpreting(self, ctx: CommandContext, switch: str) -> Announce:
        word = switch.lower()
        if word not in ON_WORDS | OFF_WORDS:
            raise UsageError("error.usage")
        on = word in ON_WORDS
        if not await self._interpretation.set_on_duty(ctx.assembly, ctx.sender, on):
            key = "interpretation.already_on" if on else "interpretation.already_off"
            raise CommandError(key)
        key = "interpretation.on_duty" if on else "interpretation.off_duty"
        return announce(Msg.of(key, name=ctx.sender_person))

    # -- corrections -------------------------------------------------------------------------

    @command(
        "fix", "corregir", Param("better_text", rest=True), needs=Role.CORRECTOR, cost=ANNOUNCES
    )
    async def fix(self, ctx: CommandContext, better_text: str) -> list[Outcome]:
        if not ctx.reply_to:
            raise CommandError("interpretation.fix_needs_reply")
        if len(better_text) > MAX_ENTRY:
            raise CommandError("records.too_long", length=len(better_text), limit=MAX_ENTRY)
        correction = await self._mirror.correct(
            ctx.assembly, ctx.reply_to, better_text, ctx.sender, cause=ctx.event_id
        )
        original = correction.original
        if correction.learning is Learning.AWAITS_SECOND:
            waits = Msg.of("interpretation.fix_awaits_second", original=original)
            return [React(FIXED), reply(waits)]
        if correction.learning is Learning.CONFIRMED:
            learned = Msg.of("interpretation.fix_confirmed", original=original, text=better_text)
            return [React(FIXED), reply(learned)]
        return [React(FIXED)]

    # -- translation memory ------------------------------------------------------------------

    @command(
        "memory",
        "memoria",
        Param("memory_action", rest=True, words=True, optional=True),
        needs=Role.LANGUAGE_KEEPER,
    )
    async def memory(self, ctx: CommandContext, memory_action: tuple[str, ...] = ()) -> Reply:
        if not memory_action:
            entries = await self._interpretation.memory(ctx.assembly)
            if not entries:
                return reply(Msg.of("interpretation.memory_empty"))
            header = Msg.of("interpretation.memory_header", count=len(entries))
            lines = [self._memory_line(ctx, entry) for entry in entries]
            return reply(header, *newest(lines))
        if len(memory_action) != 2 or memory_action[0].lower() not in REMOVE_WORDS:
            raise UsageError("error.usage")
        number = read_number(memory_action[1])
        forgotten = await self._interpretation.forget(ctx.assembly, number)
        if forgotten is None:
            raise CommandError("interpretation.no_such_memory", id=Code(f"#{number}"))
        removed = Msg.of("interpretation.memory_removed", line=self._memory_line(ctx, forgotten))
        return reply(removed)

    def _memory_line(self, ctx: CommandContext, entry: MemoryEntry) -> Msg:
        return Msg.of(
            "interpretation.memory_line",
            id=Code(f"#{entry.id}"),
            source=entry.source,
            target=entry.target,
            original=entry.original,
            text=entry.text,
            name=self._people.person(ctx.assembly, entry.interpreter, bold=False),
        )

    # -- glossary ----------------------------------------------------------------------------

    @command(
        "glossary",
        "glosario",
        Param("glossary_action", rest=True, words=True, optional=True),
        # A change is announced in every room (a list only answers, but is long).
        cost=ANNOUNCES,
    )
    async def glossary(
        self, ctx: CommandContext, glossary_action: tuple[str, ...] = ()
    ) -> list[Outcome]:
        if not glossary_action:
            return [await self._glossary_list(ctx)]
        if not ctx.authority.has(Role.LANGUAGE_KEEPER):
            raise NeedsRole(Role.LANGUAGE_KEEPER)
        action, rest = glossary_action[0].lower(), glossary_action[1:]
        by = ctx.sender_person
        if action in KEEP_WORDS and len(rest) == 1:
            term = _term_text(rest[0])
            await self._interpretation.keep_term(ctx.assembly, term, ctx.sender)
            return _glossary_changed(Msg.of("interpretation.term_kept", term=term, by=by))
        if action in ADD_WORDS and len(rest) == 3 and rest[1] == "=":
            return await self._add_term(ctx, _term_text(rest[0]), _term_text(rest[2]))
        if action in REMOVE_WORDS and len(rest) == 1:
            number = read_number(rest[0])
            removed = await self._interpretation.remove_term(ctx.assembly, number)
            if removed is None:
                raise CommandError("interpretation.no_such_term", id=Code(f"#{number}"))
            line = Msg.of("interpretation.term_removed", term=removed.term, by=by)
            return _glossary_changed(line)
        raise UsageError("error.usage")

    async def _add_term(self, ctx: CommandContext, term: str, translation: str) -> list[Outcome]:
        """The term is in the room's language; its fixed translation in the assembly's other."""
        others = [r.language for r in ctx.assembly.rooms if r.language != ctx.language]
        if not others:
            raise CommandError("interpretation.no_other_language")
        target = others[0]
        await self._interpretation.fix_term(
            ctx.assembly, term, translation, ctx.language, target, ctx.sender
        )
        line = Msg.of(
            "interpretation.term_fixed",
            term=term,
            translation=translation,
            source=ctx.language,
            target=target,
            by=ctx.sender_person,
        )
        return _glossary_changed(line)

    async def _glossary_list(self, ctx: CommandContext) -> Reply:
        configured = self._interpretation.configured_glossary(ctx.assembly.name)
        terms = await self._interpretation.terms(ctx.assembly)
        lines: list[Msg] = []
        lines.extend(Msg.of("interpretation.glossary_keep", id="", term=t) for t in configured.keep)
        for (source, target), words in configured.fixed.items():
            lines.extend(
                Msg.of(
                    "interpretation.glossary_fixed",
                    id="",
                    term=word,
                    translation=translation,
                    source=source,
                    target=target,
                )
                for word, translation in words.items()
            )
        lines.extend(self._term_line(term) for term in terms)
        if not lines:
            return reply(Msg.of("interpretation.glossary_empty"))
        return reply(Msg.of("interpretation.glossary_header", count=len(lines)), *newest(lines))

    def _term_line(self, term: GlossaryTerm) -> Msg:
        number = Code(f"#{term.id}")
        if term.keeps:
            return Msg.of("interpretation.glossary_keep", id=number, term=term.term)
        return Msg.of(
            "interpretation.glossary_fixed",
            id=number,
            term=term.term,
            translation=term.translation or "",
            source=term.source or "",
            target=term.target or "",
        )

    # -- helpers -----------------------------------------------------------------------------

    def _person(self, ctx: CommandContext, user_id: str) -> Name:
        return self._people.person(ctx.assembly, user_id)

    def _check_member(self, assembly: Assembly, user_id: str) -> None:
        if not any(self._people.sits_in(room_id, user_id) for room_id in assembly.room_ids):
            raise CommandError("interpretation.not_a_member", user=Code(user_id))


def _glossary_changed(line: Msg) -> list[Outcome]:
    """A glossary change alters what every room reads from now on: every room is told."""
    return [React(FIXED), announce(line)]


def _term_text(word: str) -> str:
    term = word.strip()
    if not term or len(term) > MAX_TITLE:
        raise UsageError("error.usage")
    return term


def newest(lines: list[Msg]) -> list[Msg]:
    """The last `MAX_LISTED` lines (the newest entries), saying how many are left out."""
    if len(lines) <= MAX_LISTED:
        return lines
    left_out = len(lines) - MAX_LISTED
    return [Msg.of("interpretation.older_left_out", count=left_out), *lines[-MAX_LISTED:]]
