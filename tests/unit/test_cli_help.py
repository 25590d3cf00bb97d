"""`asamblea --help` and each command's `--help` explain every option a facilitator can give."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from bot.cli import _parser, main


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ("asamblea",)
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """The parser and every subcommand's parser, however deep, with the words that reach it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))


def unexplained(parser: argparse.ArgumentParser) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helped = {choice.dest for choice in action._choices_actions if choice.help}
            missing += [f"command {name}" for name in action.choices if name not in helped]
        elif not action.help or action.help == argparse.SUPPRESS:
            missing.append("/".join(action.option_strings) or action.dest)
    return missing


def test_the_walk_reaches_every_command() -> None:
    names = {" ".join(path) for path, _ in commands(_parser())}
    assert names == {
        "asamblea",
        "asamblea run",
        "asamblea check-config",
        "asamblea doctor",
        "asamblea demo",
        "asamblea meetings",
        "asamblea minutes",
        "asamblea report",
        "asamblea calendar",
        "asamblea crypto",
        "asamblea crypto bootstrap",
        "asamblea crypto verify",
    }


def test_every_option_of_every_command_has_help_text() -> None:
    missing = {
        " ".join(path): gaps
        for path, parser in commands(_parser())
        if (gaps := unexplained(parser))
    }
    assert missing == {}


def test_the_walk_notices_an_option_without_help() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    sub.add_parser("told", help="explained").add_argument("--quiet", help="explained too")
    sub.add_parser("untold").add_argument("--port")
    found = {" ".join(path): unexplained(p) for path, p in commands(parser)}
    assert found["asamblea"] == ["command untold"]
    assert found["asamblea untold"] == ["--port"]
    assert found["asamblea told"] == []


def test_minutes_help_says_what_it_writes_without_lang(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as leaving:
        main(["minutes", "--help"])
    assert leaving.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Without --lang: both, the minutes in English and in Spanish" in text
    assert "in Markdown the English minutes, then the Spanish ones" in text
    assert "the file to write (default: stdout)" in text
