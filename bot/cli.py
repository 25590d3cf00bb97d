"""The `asamblea` command: run, check-config, demo, meetings, minutes."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.cli_records import add_meetings_command, add_minutes_command
from bot.config import ConfigError, load_config
from bot.serving import leave, serve

EXIT_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("nio").setLevel(logging.WARNING)  # nio narrates every state event
    return int(args.action(args) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="asamblea", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the bot with a configuration file")
    run.add_argument(
        "--config",
        "-c",
        type=Path,
        default=Path("config.toml"),
        help="the configuration file (default: config.toml)",
    )
    run.set_defaults(action=_run)
    check = sub.add_parser("check-config", help="validate a configuration file and exit")
    check.add_argument("config", type=Path, help="the configuration file to check")
    check.set_defaults(action=_check_config)
    demo = sub.add_parser(
        "demo", help="start a local homeserver with two demo rooms and run the bot"
    )
    demo.add_argument(
        "--data", type=Path, default=Path("demo-data"), help="where the demo keeps its state"
    )
    demo.add_argument(
        "--port", type=int, default=8008, help="the local homeserver's port (default: 8008)"
    )
    demo.add_argument(
        "--translation",
        default="google",
        choices=("google", "none"),
        help=(
            "how the demo translates: google (the default; Google's free endpoint, needs "
            "internet access and sends every message to Google) or none (mirrors as written)"
        ),
    )
    demo.set_defaults(action=_demo)
    _add_records_commands(sub)
    return parser


def _add_records_commands(sub: argparse._SubParsersAction) -> None:
    add_meetings_command(sub)
    add_minutes_command(sub)


def _check_config(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as error:
        _print_problems(args.config, error)
        return EXIT_CONFIG
    print(f"{args.config}: OK ({len(config.assemblies)} assemblies)")
    return 0


def _print_problems(path: Path, error: ConfigError) -> None:
    count = len(error.problems)
    print(f"{path}: {count} problem{'' if count == 1 else 's'}:", file=sys.stderr)
    for problem in error.problems:
        print(f"  - {problem}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as error:
        _print_problems(args.config, error)
        return EXIT_CONFIG
    return leave(asyncio.run(serve(config)))


def _demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(args.data, args.port, args.translation)


if __name__ == "__main__":
    sys.exit(main())
