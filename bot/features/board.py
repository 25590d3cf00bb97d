"""The meeting board: each assembly live on the hall's projector and on every phone, in both
languages, behind an unguessable link; and each past meeting's minutes as a page."""

from __future__ import annotations

import json

from bot.domain.assembly import Assembly
from bot.features.records import minutes_service
from bot.features.shared import Shared
from bot.framework.feature import Feature
from bot.render.board import BoardPages, board_state
from bot.render.minutes import MinutesRenderer
from bot.services.board import BoardService
from bot.storage.board_store import BoardStore
from bot.storage.polls_store import PollsStore
from bot.web.live import LiveBoards
from bot.web.server import BoardServer
from commands.board import BoardCommands


def board_service(shared: Shared) -> BoardService:
    platform = shared.platform
    return BoardService(
        db=platform.db,
        store=BoardStore(platform.db),
        meetings=shared.meetings_store,
        polls=PollsStore(platform.db),
        decisions=shared.decisions,
        # The translations the rooms were shown, read only.
        translations=platform.translation.cache,
        people=shared.people,
        directory=platform.directory,
        clock=platform.clock_ms,
    )


def board_server(shared: Shared, service: BoardService) -> BoardServer:
    platform = shared.platform
    catalogs, db = platform.catalogs, platform.db

    async def state(assembly: Assembly) -> bytes:
        languages = list(dict.fromkeys(room.language for room in assembly.rooms))
        worded = board_state(catalogs, await service.snapshot(assembly), languages)
        return json.dumps(worded, ensure_ascii=False, separators=(",", ":")).encode()

    minutes = minutes_service(shared, clock=platform.clock_ms)
    return BoardServer(
        platform.config.board,
        service=service,
        live=LiveBoards(state, lambda: db.transactions_ended, lambda: service.tokens_changed),
        pages=BoardPages(catalogs),
        minutes=minutes,
        minutes_renderer=MinutesRenderer(catalogs),
        people=shared.people,
        prefix=platform.prefix,
        clock=platform.clock_ms,
    )


def board_feature(shared: Shared) -> Feature:
    return board_feature_with(shared, board_service(shared))


def board_feature_with(shared: Shared, service: BoardService) -> Feature:
    """The feature around a given service (a test keeps a hold on it)."""
    platform = shared.platform
    settings = platform.config.board
    server = board_server(shared, service)
    return Feature(
        name="board",
        commands=(BoardCommands(service, shared.letters, settings, platform.prefix),),
        tables=("board_tokens",),
        # The links made before still open their boards after a restart.
        restore=(service.restore,),
        # The board's own listener, with the boards kept live; none when it is off.
        background=(server.run,) if settings.enabled else (),
    )
