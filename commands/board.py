"""`!board` / `!tablero`: the link to the assembly's live meeting board, and `!board reset` /
`!tablero nuevo` for a new one (the old link then opens nothing).

The link goes to whoever asks, in their direct chat with the bot (the one secret ballots come
to, made now if they have none), since anyone holding it can watch; where the assembly sets
`board_public = true`, anyone may ask and the link is given in the room.
"""

from __future__ import annotations

from bot.domain.authority import Role
from bot.domain.messages import Bold, Msg
from bot.domain.outcomes import Announce, Outcome, reply
from bot.framework.commands import CommandGroup, Param, command
from bot.framework.context import CommandContext
from bot.framework.errors import CommandError, NeedsRole, UsageError
from bot.services.board import BoardService
from bot.services.letters import Letters
from bot.settings import BoardSettings

# What follows `!board` to ask for a new link, in either language.
RESET_WORDS = ("reset", "new", "nuevo", "renovar")


class BoardCommands(CommandGroup):
    group_name = "board"
    help_names = ("projector", "proyector")

    def __init__(
        self, board: BoardService, letters: Letters, settings: BoardSettings, prefix: str
    ) -> None:
        self._board = board
        self._letters = letters
        self._settings = settings
        self._prefix = prefix

    @command(
        "board",
        "tablero",
        Param("board_action", optional=True),
        needs=Role.BOARD_VIEWER,
        private=True,
        details=True,
    )
    async def board(self, ctx: CommandContext, board_action: str | None = None) -> list[Outcome]:
        if not self._settings.enabled:
            raise CommandError("board.off")
        if board_action is None:
            return await self._give(ctx, await self._board.token(ctx.assembly, ctx.sender))
        if board_action.lower() not in RESET_WORDS:
            raise UsageError("error.usage")
        if not ctx.is_chair:
            raise NeedsRole(Role.CHAIR)
        token = await self._board.new_token(ctx.assembly, ctx.sender)
        renewed = Announce((Msg.of("board.renewed", name=Bold(ctx.sender_name)),))
        return [renewed, *await self._give(ctx, token)]

    async def _give(self, ctx: CommandContext, token: str) -> list[Outcome]:
        url = f"{self._settings.base_url}board/{token}/"
        link = [Msg.of("board.link", assembly=ctx.assembly.name, url=url), Msg.of("board.keep")]
        if ctx.assembly.board_public or ctx.private:
            return [reply(*link)]  # in the room, or already in the person's direct chat
        sent = await self._letters.send(ctx.assembly, ctx.sender, link, cause=ctx.event_id)
        return [reply(Msg.of("board.link_sent" if sent else "board.link_coming"))]
