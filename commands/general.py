"""`!help` / `!ayuda` and `!status` / `!estado`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from bot import __version__
from bot.domain.authority import open_to_members
from bot.domain.durations import format_duration
from bot.domain.outcomes import Reply, reply
from bot.framework.commands import BoundCommand, CommandGroup, Param, StatusSection, command
from bot.framework.context import CommandContext
from bot.framework.errors import CommandError
from bot.i18n import Bold, Code, Msg


class GeneralCommands(CommandGroup):
    group_name = "general"

    def __init__(
        self,
        commands: Callable[[], list[BoundCommand]],
        usage: Callable[[BoundCommand, str], str],
        prefix: str,
        status_sections: Sequence[StatusSection] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._commands = commands
        self._status_sections = status_sections
        self._usage = usage
        self._prefix = prefix
        self._clock = clock
        self._started = clock()

    @command("help", "ayuda", Param("command", optional=True), aliases=("?",), private=True)
    async def help(self, ctx: CommandContext, command: str | None = None) -> Reply:
        if command:
            return self._help_for(ctx, command)
        lines = [Msg.of("help.header", prefix=Code(self._prefix))]
        group = None
        for bound in self._commands():
            if bound.group != group:
                group = bound.group
                lines.append(Msg.of("help.group", group=Msg.of(bound.heading_key)))
            lines.append(self._summary(bound, ctx))
        lines.append(Msg.of("help.footer", help=Code(self._prefix + ctx.invoked_as)))
        return reply(*lines)

    @command("status", "estado")
    async def status(self, ctx: CommandContext) -> Reply:
        lines = [Msg.of("status.header", assembly=Bold(ctx.assembly.name), version=__version__)]
        for room in ctx.assembly.rooms:
            lines.append(
                Msg.of(
                    "status.room",
                    room=Code(room.room_id),
                    language=Msg.of(f"language.{room.language}"),
                    center=room.center,
                    timezone=room.timezone,
                )
            )
        for section in self._status_sections:
            lines.extend(await section(ctx.assembly))
        uptime = format_duration(self._clock() - self._started, style="compact")
        lines.append(Msg.of("status.uptime", uptime=uptime))
        return reply(*lines)

    def _help_for(self, ctx: CommandContext, name: str) -> Reply:
        wanted = name.lower().lstrip(self._prefix)
        bound = next((b for b in self._commands() if wanted in b.spec.names()), None)
        if bound is None:
            raise CommandError("error.unknown_command_help", command=Code(self._prefix + wanted))
        return reply(
            self._summary(bound, ctx),
            Msg.of("error.usage_line", usage=Code(self._usage(bound, ctx.language))),
        )

    def _summary(self, bound: BoundCommand, ctx: CommandContext) -> Msg:
        spec, language = bound.spec, ctx.language
        other = spec.name if language == "es" else spec.name_es
        for_everyone = open_to_members(spec.needs, ctx.authority.who_may_start)
        key = "help.line" if for_everyone else "help.line_chair"
        return Msg.of(
            key,
            command=Code(self._prefix + spec.name_in(language)),
            other=Code(self._prefix + other),
            description=Msg.of(spec.help_key),
        )
