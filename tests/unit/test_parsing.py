"""How a message body becomes a command and its words."""

from __future__ import annotations

import pytest

from bot.framework.commands import CommandSpec, Param, to_duration_seconds, to_number
from bot.framework.errors import CommandError, UsageError
from bot.framework.parsing import parse_invocation


def test_plain_messages_are_not_commands() -> None:
    assert parse_invocation("hello everyone", "!") is None
    assert parse_invocation("!", "!") is None
    assert parse_invocation("!!!", "!") is None
    assert parse_invocation("! help", "!") is None


def test_double_quotes_group_words_and_apostrophes_are_letters() -> None:
    invocation = parse_invocation('!Poll "Do we meet?" yes no don\'t', "!")
    assert invocation is not None
    assert invocation.name == "poll"
    assert invocation.words == ("Do we meet?", "yes", "no", "don't")


def test_spanish_and_curly_quotes_work_like_plain_ones() -> None:
    invocation = parse_invocation("!votacion «¿Nos reunimos?» “sí” no", "!")
    assert invocation is not None
    assert invocation.words == ("¿Nos reunimos?", "sí", "no")


def test_an_unbalanced_quote_is_a_usage_error() -> None:
    with pytest.raises(CommandError) as error:
        parse_invocation('!poll "never closed', "!")
    assert error.value.message.key == "error.unbalanced_quote"


@pytest.mark.parametrize(("word", "number"), [("3", 3), ("#12", 12), ("0", 0)])
def test_numbers_are_read_with_or_without_their_hash(word: str, number: int) -> None:
    assert to_number(word) == number


@pytest.mark.parametrize("word", ["one", "-1", "#", "²", "3.5"])
def test_what_is_not_a_number_is_a_usage_error(word: str) -> None:
    with pytest.raises(UsageError) as caught:
        to_number(word)
    assert caught.value.message.key == "error.expected_number"


def test_arguments_are_converted_by_declaration() -> None:
    spec = CommandSpec(
        "add", "agregar", (Param("title"), Param("minutes", to_number, optional=True))
    )
    assert spec.convert(["Budget", "10"]) == {"title": "Budget", "minutes": 10}
    assert spec.convert(["Budget"]) == {"title": "Budget"}
    with pytest.raises(UsageError):
        spec.convert([])
    with pytest.raises(UsageError):
        spec.convert(["Budget", "ten"])
    with pytest.raises(UsageError):
        spec.convert(["Budget", "10", "extra"])


def test_durations() -> None:
    assert to_duration_seconds("10m") == 600
    assert to_duration_seconds("1h30m") == 5400
    assert to_duration_seconds("90s") == 90
    assert to_duration_seconds("5") == 300
    for bad in ("", "m", "10x", "0m", "-5", "25h"):
        with pytest.raises(UsageError):
            to_duration_seconds(bad)
