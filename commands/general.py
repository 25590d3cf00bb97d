"""`!help` / `!ayuda` and `!status` / `!estado`.

Help is short enough for a phone: one line per command group, then `!help <group>` lists a
group's commands and `!help <command>` explains one with an example. Group and command names
are taken in either language in either room, and everything is read from the declarations.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from bot import __version__
from bot.domain.durations import duration_message
from bot.domain.messages import Bold, Code, Msg
from bot.domain.outcomes import Reply, reply
from bot.domain.words import plain
from bot.framework.commands import (
    BoundCommand,
    CommandGroup,
    CommandSpec,
    GroupSpec,
    Param,
    command,
    summary_line,
)
from bot.framework.context import CommandContext
from bot.framework.errors import CommandError
from bot.framework.feature import StatusSection


class CommandBook(Protocol):
    """The declared commands, as the router reads them (`bot.framework.router.Router`)."""

    @property
    def commands(self) -> list[BoundCommand]: ...
    def find(self, name: str) -> BoundCommand | None: ...
    def usage(self, spec: CommandSpec, language: str) -> str: ...
    def example(self, spec: CommandSpec, language: str) -> str | None: ...


class GeneralCommands(CommandGroup):
    group_name = "general"
    help_names = ("general", "general")

    def __init__(
        self,
        book: CommandBook,
        prefix: str,
        status_sections: Sequence[StatusSection] = (),
        clock: Callable[[], float] = time.monotonic,
        room_name: Callable[[str], str] = str,
    ) -> None:
        self._book = book
        self._room_name = room_name
        self._status_sections = status_sections
        self._prefix = prefix
        self._clock = clock
        self._started = clock()

    @command(
        "help",
        "ayuda",
        Param("topic", optional=True, rest=True),
        aliases=("?", "commands"),
        aliases_es=("comandos", "ayúdame"),
        private=True,
    )
    async def help(self, ctx: CommandContext, topic: str | None = None) -> Reply:
        if not topic:
            return self._overview(ctx)
        wanted = plain(topic.removeprefix(self._prefix))
        group = next((g for g in self._groups() if wanted in map(plain, g.names())), None)
        if group is not None:
            return self._group(ctx, group)
        bound = self._book.find(wanted)
        if bound is None:
            raise CommandError(
                "error.unknown_command_help",
                command=Code(topic),
                help=Code(self._prefix + ctx.invoked_as),
            )
        return self._command(ctx, bound)

    @command("status", "estado", aliases_es=("estatus",))
    async def status(self, ctx: CommandContext) -> Reply:
        lines = [Msg.of("status.header", assembly=Bold(ctx.assembly.name), version=__version__)]
        for room in ctx.assembly.rooms:
            lines.append(
                Msg.of(
                    "status.room",
                    room=Bold(self._room_name(room.room_id)),
                    language=Msg.of(f"language.{room.language}"),
                    center=room.center,
                    timezone=room.timezone,
                )
            )
        for section in self._status_sections:
            lines.extend(await section(ctx.assembly))
        uptime = duration_message(self._clock() - self._started)
        lines.append(Msg.of("status.uptime", uptime=uptime))
        return reply(*lines)

    def _groups(self) -> list[GroupSpec]:
        return list(dict.fromkeys(bound.group for bound in self._book.commands))

    def _overview(self, ctx: CommandContext) -> Reply:
        """One line per group, then how to ask for more."""
        lines = [Msg.of("help.header")]
        for group in self._groups():
            lines.append(
                Msg.of(
                    "help.group_line",
                    group=Msg.of(group.heading_key),
                    word=Code(group.name_in(ctx.language)),
                    summary=Msg.of(group.summary_key),
                )
            )
        lines.append(Msg.of("help.footer", help=Code(self._prefix + ctx.invoked_as)))
        return reply(*lines)

    def _group(self, ctx: CommandContext, group: GroupSpec) -> Reply:
        """The group's commands, one line each."""
        lines = [Msg.of("help.group", group=Msg.of(group.heading_key))]
        lines.extend(self._summary(b, ctx) for b in self._book.commands if b.group == group)
        lines.append(Msg.of("help.group_footer", help=Code(self._prefix + ctx.invoked_as)))
        return reply(*lines)

    def _command(self, ctx: CommandContext, bound: BoundCommand) -> Reply:
        """One command: what it does, how it is written, and an example."""
        spec, language = bound.spec, ctx.language
        lines = [self._summary(bound, ctx)]
        if spec.details_key is not None:
            lines.append(Msg.of(spec.details_key))
        aliases = spec.aliases_in(language)
        if aliases:
            also = ", ".join(self._prefix + alias for alias in aliases)
            lines.append(Msg.of("help.aliases", aliases=Code(also)))
        lines.append(Msg.of("error.usage_line", usage=Code(self._book.usage(spec, language))))
        example = self._book.example(spec, language)
        if example is not None:
            lines.append(Msg.of("error.example_line", example=Code(example)))
        return reply(*lines)

    def _summary(self, bound: BoundCommand, ctx: CommandContext) -> Msg:
        return summary_line(bound.spec, self._prefix, ctx.language, ctx.authority)
