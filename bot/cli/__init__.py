"""The `asamblea` command: run, check-config, doctor, demo, meetings, minutes, report,
calendar, crypto."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.cli.between import add_calendar_command, add_report_command
from bot.cli.crypto import add_crypto_command
from bot.cli.records import add_meetings_command, add_minutes_command
from bot.cli.serving import leave, serve
from bot.cli.support import add_config_option
from bot.config import Config, ConfigError, load_config
from bot.domain.words import counted
from bot.settings import PROVIDER_PRIVACY

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
    add_config_option(run)
    run.set_defaults(action=_run)
    check = sub.add_parser(
        "check-config",
        help="validate a configuration file and exit",
        description="Validate a configuration file: every problem is listed with its dotted key.",
        epilog=_privacy_of_providers(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("config", type=Path, help="the configuration file to check")
    check.add_argument(
        "--online",
        action="store_true",
        help="also ask the translation provider for one translation",
    )
    check.set_defaults(action=_check_config)
    doctor = sub.add_parser(
        "doctor",
        help="log in and check rooms, the translation provider and the rate limit",
        description="Log in as the bot and check what the configuration needs from the world: "
        "every room joined or invited, the translation provider answering, the bot exempt from "
        "the homeserver's rate limit. Prints what to change.",
    )
    add_config_option(doctor)
    doctor.set_defaults(action=_doctor)
    demo = sub.add_parser(
        "demo", help="start a local homeserver with two demo rooms and four people, and run the bot"
    )
    demo.add_argument(
        "--data", type=Path, default=Path("demo-data"), help="where the demo keeps its state"
    )
    demo.add_argument(
        "--port", type=int, default=8008, help="the local homeserver's port (default: 8008)"
    )
    demo.add_argument(
        "--translation",
        default="none",
        choices=("none", "libre", "google"),
        help=(
            "how the demo translates: none (the default; copies are mirrored as written and "
            'marked "not translated", no internet access needed), libre (your LibreTranslate '
            "server, given with --url: nothing leaves your machines) or google (Google's free "
            "endpoint: needs internet access and sends every message to Google)"
        ),
    )
    demo.add_argument(
        "--url",
        help="the LibreTranslate server for --translation libre, e.g. http://127.0.0.1:5000",
    )
    demo.set_defaults(action=_demo)
    _add_records_commands(sub)
    return parser


def _add_records_commands(sub: argparse._SubParsersAction) -> None:
    add_meetings_command(sub)
    add_minutes_command(sub)
    add_report_command(sub)
    add_calendar_command(sub)
    add_crypto_command(sub)


def _privacy_of_providers() -> str:
    lines = ["translation.provider is required. Where each choice sends people's words:"]
    lines += [f"  {name:<10} {privacy}" for name, privacy in PROVIDER_PRIVACY.items()]
    return "\n".join(lines)


def _check_config(args: argparse.Namespace) -> int:
    config = _loaded(args.config)
    if config is None:
        return EXIT_CONFIG
    print(f"{args.config}: OK ({counted(len(config.assemblies), 'assembly', 'assemblies')})")
    if args.online:
        return _try_translation(config)
    return 0


def _try_translation(config: Config) -> int:
    from bot.cli.doctor import check_translation

    check = asyncio.run(check_translation(config.translation))
    print(check.line())
    if check.hung:
        leave(1)  # a provider that never answered holds a thread the interpreter would wait for
    return 0 if check.ok else 1


def _loaded(path: Path) -> Config | None:
    """The configuration, or None once every problem in it is printed."""
    try:
        return load_config(path)
    except ConfigError as error:
        _print_problems(path, error)
        return None


def _print_problems(path: Path, error: ConfigError) -> None:
    print(f"{path}: {counted(len(error.problems), 'problem', 'problems')}:", file=sys.stderr)
    for problem in error.problems:
        print(f"  - {problem}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    config = _loaded(args.config)
    if config is None:
        return EXIT_CONFIG
    _configure_logging(config, args.verbose)
    return leave(asyncio.run(serve(config)))


def _configure_logging(config: Config, verbose: bool) -> None:
    from bot.observability.logs import configure_logging

    secrets = (config.matrix.password, config.matrix.access_token, config.translation.api_key)
    configure_logging(config.logging, verbose=verbose, secrets=secrets)


def _doctor(args: argparse.Namespace) -> int:
    config = _loaded(args.config)
    if config is None:
        return EXIT_CONFIG
    _configure_logging(config, args.verbose)
    from bot.cli.doctor import run_doctor

    code, hung = asyncio.run(run_doctor(config))
    if hung:
        leave(code)  # see _try_translation
    return code


def _demo(args: argparse.Namespace) -> int:
    from bot.cli.demo import DemoTranslation, run_demo

    if args.translation == "libre" and not args.url:
        print(
            "asamblea demo: --translation libre needs --url (your LibreTranslate server)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    if args.url and args.translation != "libre":
        print("asamblea demo: --url goes with --translation libre", file=sys.stderr)
        return EXIT_CONFIG
    return run_demo(args.data, args.port, DemoTranslation(args.translation, args.url))

