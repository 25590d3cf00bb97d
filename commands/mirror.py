"""`!pause` / `!pausar` and `!resume` / `!reanudar`: chairs stop and restart mirroring."""

from __future__ import annotations

from bot.domain.assembly import Assembly
from bot.domain.authority import Role
from bot.domain.fair_use import ANNOUNCES
from bot.domain.messages import Msg
from bot.domain.outcomes import Announce, announce
from bot.framework.commands import CommandGroup, command
from bot.framework.context import CommandContext
from bot.framework.errors import CommandError
from bot.services.mirror_intake import MirrorIntake


class MirrorCommands(CommandGroup):
    group_name = "mirror"
    help_names = ("mirror", "espejo")

    def __init__(self, control: MirrorIntake, prefix: str) -> None:
        self._control = control
        self._prefix = prefix

    @command("pause", "pausar", needs=Role.CHAIR, cost=ANNOUNCES)
    async def pause(self, ctx: CommandContext) -> Announce:
        if not await self._control.pause(ctx.assembly, ctx.sender):
            raise CommandError("mirror.already_paused")
        return announce(Msg.of("mirror.paused", name=ctx.sender_person, prefix=self._prefix))

    @command("resume", "reanudar", needs=Role.CHAIR, cost=ANNOUNCES)
    async def resume(self, ctx: CommandContext) -> Announce:
        if not await self._control.resume(ctx.assembly):
            raise CommandError("mirror.not_paused")
        return announce(Msg.of("mirror.resumed", name=ctx.sender_person))

    async def status(self, assembly: Assembly) -> list[Msg]:
        paused = await self._control.is_paused(assembly)
        return [Msg.of("status.mirroring_paused" if paused else "status.mirroring_on")]
