"""Running the bot: serve a configuration until SIGINT or SIGTERM, then leave the process.

Shared by `asamblea run` (bot.cli) and `asamblea demo` (bot.cli.demo).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import NoReturn

from bot.config import Config


def leave(code: int) -> NoReturn:
    """Exit now. Everything is in the database by this point, but a translation provider that
    never answers holds a worker thread (its client sets no timeout), and the interpreter would
    wait for that thread before exiting."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


async def serve(config: Config) -> int:
    # Imported here: `asamblea check-config` and the records commands need none of the bot.
    from bot.app import Asamblea
    from bot.matrix.session import FatalMatrixError
    from bot.observability.server import ListenerError
    from bot.storage.database import DatabaseTooNew

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await Asamblea(config).run(stop)
    except (FatalMatrixError, DatabaseTooNew, ListenerError) as error:
        logging.getLogger("asamblea").error("%s", error)
        return 1
    return 0
