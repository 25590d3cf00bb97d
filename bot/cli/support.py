"""What the `asamblea` subcommands share: a problem told to the operator with its exit status,
and a coroutine run to an exit status."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

# Exit statuses: the thing asked for is not there or was refused; the request itself is wrong.
EXIT_REFUSED = 1
EXIT_USAGE = 2


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """`--config` / `-c`: the bot's configuration file, config.toml unless told otherwise."""
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        default=Path("config.toml"),
        help="the configuration file (default: config.toml)",
    )


class Problem(Exception):
    """Said on standard error as `asamblea: <message>`; the command exits with `code`."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def run_to_exit(work: Coroutine[Any, Any, int], refused: tuple[type[Exception], ...] = ()) -> int:
    """Run `work`; a `Problem`, or one of the `refused` errors, is told and ends it."""
    try:
        return asyncio.run(work)
    except Problem as problem:
        print(f"asamblea: {problem}", file=sys.stderr)
        return problem.code
    except refused as error:
        print(f"asamblea: {error}", file=sys.stderr)
        return EXIT_REFUSED
