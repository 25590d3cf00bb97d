"""The router: parse → look up → check permission → convert arguments → handler → outcomes.

Every error reply is made here, so handlers stay a dozen lines. Fair use is enforced here too,
before anything runs: each command costs what its declaration says, and a person over budget is
told once and then not answered at all until the budget has refilled (chairs are exempt).
A handler's database writes run inside a savepoint: a person's mistake or a bug leaves no
half-done change behind.
"""

from __future__ import annotations

import difflib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from bot.domain.assembly import Assembly, AssemblyRoom
from bot.domain.authority import (
    Authority,
    Chair,
    ChairsNow,
    Role,
    WhoMayStart,
    open_to_members,
)
from bot.domain.durations import duration_message
from bot.domain.fair_use import REPLIES, FairUse
from bot.domain.mentions import MemberName, Pill
from bot.domain.messages import Code, Msg, Name
from bot.domain.outcomes import Outcome, Reply, refusal
from bot.domain.polls import joined
from bot.domain.words import plain
from bot.framework.commands import BoundCommand, CommandSpec, commands_of, summary_line
from bot.framework.context import CommandContext
from bot.framework.errors import CommandError, NeedsRole, NoMeeting, UsageError, is_transient
from bot.framework.parsing import Invocation, parse_invocation
from bot.i18n import Catalogs

log = logging.getLogger(__name__)


class AuthorityPolicy(Protocol):
    async def authority_of(self, assembly: Assembly, user_id: str) -> Authority: ...
    async def chairs_now(self, assembly: Assembly) -> ChairsNow: ...


class Router:
    def __init__(
        self,
        prefix: str,
        catalogs: Catalogs,
        authority: AuthorityPolicy,
        guard: Callable[[], AbstractAsyncContextManager[None]],
        fair_use: FairUse | None = None,
        roster: Callable[[Assembly], Sequence[MemberName]] | None = None,
    ) -> None:
        self.prefix = prefix
        self.catalogs = catalogs
        self._authority = authority
        self._guard = guard
        self._fair_use = fair_use
        # Who sits in an assembly's rooms, for commands that name someone by a name.
        self._roster = roster or (lambda assembly: ())
        self._commands: list[BoundCommand] = []
        self._by_name: dict[str, BoundCommand] = {}
        # Words that may mean more than one command, and the commands each may mean.
        self._hints: dict[str, list[BoundCommand]] = {}
        self._longest_phrase = 1

    def add_group(self, group: object) -> None:
        for bound in commands_of(group):
            for name in map(_word, bound.spec.names()):
                if name in self._by_name or name in self._hints:
                    raise ValueError(f"command name {name!r} is declared twice")
                self._by_name[name] = bound
                self._longest_phrase = max(self._longest_phrase, len(name.split()))
            for hint in map(_word, bound.spec.hints):
                if hint in self._by_name:
                    raise ValueError(f"hint {hint!r} is the name of a command")
                self._hints.setdefault(hint, []).append(bound)
            self._commands.append(bound)

    def find(self, name: str) -> BoundCommand | None:
        """The command of that name or phrase in either language, typed with or without its
        accents."""
        return self._by_name.get(_word(name))

    def lookup(self, invocation: Invocation) -> tuple[BoundCommand | None, Invocation]:
        """The command an invocation names, and its argument words: the longest phrase its
        first words make (`!pido la palabra` is `!mano`), else its first word."""
        most = min(self._longest_phrase, len(invocation.words) + 1)
        for count in range(most, 1, -1):
            phrase = " ".join((invocation.name, *invocation.words[: count - 1]))
            bound = self.find(phrase)
            if bound is not None:
                return bound, Invocation(_word(phrase), invocation.words[count - 1 :])
        return self.find(invocation.name), invocation

    @property
    def commands(self) -> list[BoundCommand]:
        return list(self._commands)

    async def route(
        self,
        body: str,
        *,
        event_id: str,
        sender: str,
        sender_name: str,
        ts: int,
        assembly: Assembly,
        room: AssemblyRoom,
        private: bool = False,
        reply_to: str | None = None,
        pills: Sequence[Pill] = (),
        sender_center: str | None = None,
    ) -> list[Outcome] | None:
        """Outcomes of a command message; None when the body is not a command. `private`: sent
        in a direct chat with the bot, where only the commands declared for it are taken.
        `pills`: the people the message mentions, and where in `body` (`pills_in`).
        `sender_center`: the sender's center, if not that of the room they wrote in."""
        try:
            invocation = parse_invocation(body, self.prefix, pills)
        except CommandError as error:
            return await self._within_budget(assembly, sender, REPLIES, [refusal(error.message)])
        if invocation is None:
            return None
        bound, invocation = self.lookup(invocation)
        authority = await self._authority.authority_of(assembly, sender)
        # Chairs are not rationed while they chair: running the meeting is their job.
        cost = 0.0 if authority.is_chair else bound.spec.cost if bound else REPLIES
        if bound is None:
            unknown = [self._unknown(invocation, room.language, authority)]
            return await self._within_budget(assembly, sender, cost, unknown)
        if private and not bound.spec.private:
            refused = [self._not_in_private(invocation, room.language)]
            return await self._within_budget(assembly, sender, REPLIES, refused)
        context = CommandContext(
            event_id=event_id,
            sender=sender,
            sender_name=sender_name,
            ts=ts,
            room=room,
            assembly=assembly,
            invoked_as=invocation.name,
            authority=authority,
            private=private,
            reply_to=reply_to,
            sender_center=sender_center,
        )
        return await self._within_budget(
            assembly, sender, cost, lambda: self._run(bound, invocation, context)
        )

    async def charge(self, assembly: Assembly, sender: str, cost: float) -> bool:
        """Whether `sender` can afford an action that is not a command (a ✋ reaction raises a
        hand as `!hand` does, and costs what it costs), charged by the rule commands follow:
        chairs are exempt. A refused action gets no answer, so the one notice is left for
        the sender's next refused command."""
        if self._fair_use is None:
            return True
        authority = await self._authority.authority_of(assembly, sender)
        if authority.is_chair:
            return True
        return self._fair_use.spend(assembly.name, sender, cost, quietly=True).allowed

    async def _within_budget(
        self,
        assembly: Assembly,
        sender: str,
        cost: float,
        outcomes: list[Outcome] | Callable[[], Awaitable[list[Outcome]]],
    ) -> list[Outcome]:
        """The outcomes if the sender can afford them; else one notice, then nothing at all.
        A refused command never runs, so it changes nothing."""
        if self._fair_use is not None:
            verdict = self._fair_use.spend(assembly.name, sender, cost)
            if not verdict.allowed:
                if not verdict.notify:
                    return []
                wait = duration_message(verdict.retry_after_seconds)
                return [refusal(Msg.of("error.too_fast", wait=wait))]
        return outcomes if isinstance(outcomes, list) else await outcomes()

    async def _run(
        self, bound: BoundCommand, invocation: Invocation, context: CommandContext
    ) -> list[Outcome]:
        try:
            if not context.authority.has(bound.spec.needs):
                return [await self._not_allowed(bound.spec, bound.spec.needs, context)]
            arguments = bound.spec.convert(invocation.words, lambda: self._roster(context.assembly))
            async with self._guard():
                result = await bound.handler(context, **arguments)
        except UsageError as error:
            return [self._usage_reply(bound.spec, error, context.language)]
        except NeedsRole as error:
            return [await self._not_allowed(bound.spec, Role(error.role), context)]
        except NoMeeting as error:
            return [await self._no_meeting(error, context)]
        except CommandError as error:
            return [refusal(error.message)]
        except Exception as error:
            if is_transient(error):
                raise  # not the command's fault: the event is handled again later
            reference = uuid.uuid4().hex[:8]
            log.exception("bug in command %s (reference %s)", invocation.name, reference)
            return [refusal(Msg.of("error.bug", reference=Code(reference)))]
        return _as_outcomes(result)

    async def _not_allowed(self, spec: CommandSpec, role: Role, context: CommandContext) -> Reply:
        """Who may use the command, and who that is now, so the sender knows whom to ask."""
        chairs = await self._authority.chairs_now(context.assembly)
        command = Code(self.prefix + spec.name_in(context.language))
        names = _names(chairs.holders(role))
        key = chairs.refusal_key(role)
        if key != "error.needs.no_meeting":
            return refusal(Msg.of(key, command=command, chairs=names))
        if context.authority.who_may_start is WhoMayStart.ANYONE:
            opens = Msg.of("error.opens.anyone", prefix=self.prefix)
        else:
            opens = Msg.of("error.opens.standing", prefix=self.prefix, chairs=names)
        return refusal(Msg.of(key, command=command, opens=opens))

    async def _no_meeting(self, error: NoMeeting, context: CommandContext) -> Reply:
        """No meeting to act on: whoever may open one is told how; anyone else, who may, and
        where to see when the next one meets, never to open one themselves."""
        if context.authority.has(Role.OPENER):
            return refusal(Msg.of(error.to_opener, prefix=self.prefix))
        chairs = await self._authority.chairs_now(context.assembly)
        names = _names(chairs.holders(Role.OPENER))
        return refusal(Msg.of(error.to_others, prefix=self.prefix, chairs=names))

    def _unknown(self, invocation: Invocation, language: str, authority: Authority) -> Reply:
        help_name = "ayuda" if language == "es" else "help"
        command, helper = Code(self.prefix + invocation.name), Code(self.prefix + help_name)
        meant = self._hints.get(_word(invocation.name))
        if meant:
            return self._perhaps(command, meant, language, authority)
        nearest = self.nearest(invocation.name)
        if nearest is None:
            return refusal(Msg.of("error.unknown_command", command=command, help=helper))
        # A member is told when the command meant is a chair's, and sent to what they may do.
        key = "error.unknown_command_near"
        if not _may_use(authority, nearest):
            key = "error.unknown_command_near_chairs"
        suggestion = Code(self.prefix + nearest.name_in(language))
        return refusal(Msg.of(key, command=command, nearest=suggestion, help=helper))

    def _perhaps(
        self, command: Code, meant: Sequence[BoundCommand], language: str, authority: Authority
    ) -> Reply:
        """A word that may mean several commands: each of them, as `!help` shows it, and for a
        single one its example."""
        lines = [Msg.of("error.unknown_command_hint", command=command)]
        for bound in meant:
            lines.append(summary_line(bound.spec, self.prefix, language, authority))
        example = self.example(meant[0].spec, language) if len(meant) == 1 else None
        if example is not None:
            lines.append(Msg.of("error.example_line", example=Code(example)))
        return refusal(*lines)

    def nearest(self, name: str) -> CommandSpec | None:
        """The command most like a mistyped name or word: `!stak` is `!stack`, and `!lsito`
        is `!listo`."""
        found = difflib.get_close_matches(_word(name), list(self._by_name), n=1, cutoff=0.6)
        return self._by_name[found[0]].spec if found else None

    def _not_in_private(self, invocation: Invocation, language: str) -> Reply:
        taken = ", ".join(
            self.prefix + bound.spec.name_in(language)
            for bound in self._commands
            if bound.spec.private
        )
        return refusal(
            Msg.of(
                "error.not_in_private",
                commands=Code(taken),
                command=Code(self.prefix + invocation.name),
            )
        )

    def _usage_reply(self, spec: CommandSpec, error: UsageError, language: str) -> Reply:
        """What was wrong (unless only the count of arguments), the usage, and an example."""
        lines = [] if error.message.key == "error.usage" else [error.message]
        lines.append(Msg.of("error.usage_line", usage=Code(self.usage(spec, language))))
        example = self.example(spec, language)
        if example is not None:
            lines.append(Msg.of("error.example_line", example=Code(example)))
        return refusal(*lines)

    def example(self, spec: CommandSpec, language: str) -> str | None:
        """One real use of the command, in the room's language (`!poll "Lunch at noon?"`)."""
        if spec.example_key is None:
            return None
        arguments = self.catalogs.template(language, spec.example_key)
        return f"{self.prefix}{spec.name_in(language)} {arguments}"

    def usage(self, spec: CommandSpec, language: str) -> str:
        parts = [self.prefix + spec.name_in(language)]
        for param in spec.params:
            label = self.catalogs.template(language, param.label_key)
            if param.rest:
                label += "…"
            parts.append(f"[{label}]" if param.optional else f"<{label}>")
        return " ".join(parts)


def _word(name: str) -> str:
    """A command's name or phrase as it is looked up: in lower case, without accents, its
    words one space apart."""
    return " ".join(plain(name).split())


def _may_use(authority: Authority, spec: CommandSpec) -> bool:
    """Whether the sender may use the command now, or could as any member may (ending a turn
    once they have the floor)."""
    return authority.has(spec.needs) or open_to_members(spec.needs, authority)


def _names(chairs: tuple[Chair, ...]) -> Msg | Name:
    """The people as "Ana (US), Beto (MX)"; someone seated in no room is shown by their id."""
    return joined([Name(c.name, center=c.center) for c in chairs])


def _as_outcomes(result: Outcome | Sequence[Outcome] | None) -> list[Outcome]:
    if result is None:
        return []
    if isinstance(result, list | tuple):
        return list(result)
    return [result]
