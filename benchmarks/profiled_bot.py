"""`asamblea run` under cProfile, for finding where the bot's time goes during a benchmark.

    python -m benchmarks.profiled_bot CONFIG PROFILE_OUT

The same `serve()` as `asamblea run`; the profile (the event loop's thread) is written when the
bot stops, before the process leaves as `asamblea run` does. It counts the thread's CPU time, not
the clock's: time spent waiting (for the network, for the database's thread, for the GIL) is
not charged to whatever function happened to be running.
"""

from __future__ import annotations

import asyncio
import cProfile
import logging
import sys
import time
from pathlib import Path

from bot.cli.serving import leave, serve
from bot.config import load_config


def main(config_path: Path, out: Path) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("nio").setLevel(logging.WARNING)
    config = load_config(config_path)
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    try:
        code = asyncio.run(serve(config))
    finally:
        profiler.disable()
        profiler.dump_stats(out)
    leave(code)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
