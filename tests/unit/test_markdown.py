"""The minutes' Markdown reads as plain text: what people wrote keeps its look, and a backslash
goes only where Markdown would otherwise read markup."""

from __future__ import annotations

import pytest

from bot.render.minutes import Span, md_line, md_lines


def line(text: str, **place: bool) -> str:
    return md_line((Span(text),), **place)


@pytest.mark.parametrize(
    "text",
    [
        "#1 We rent the hall",
        "[item: Budget]",
        "see [1] and (2)",
        "R&D, Q&A, 50% of 3 < 5 > 2",
        "5 * 3 = 15",
        "snake_case and C#",
        "about ~20 people",
        "a | b",
        "meeting #7, poll #2",
        "¿Alquilamos el salón? ¡Sí!",
        "https://example.org/a_b_c?x=1&y=2",
        "email: ana_maria@example.org",
        "2025-03-17: call the hall",
        "a lone ` backtick",
        "Ana's \\o/ cheer",
    ],
)
def test_what_people_write_reads_as_they_wrote_it(text: str) -> None:
    assert line(text) == text


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("<script>alert(1)</script>", "\\<script>alert(1)\\</script>"),
        ("<http://example.org>", "\\<http://example.org>"),
        ("<!-- hidden -->", "\\<!-- hidden -->"),
        ("[x](javascript:alert(1))", "[x\\](javascript:alert(1))"),
        ("![pixel](http://tracker.example/p.gif)", "![pixel\\](http://tracker.example/p.gif)"),
        ("[x][ref] and [ref]: http://evil.example", "[x\\][ref] and [ref\\]: http://evil.example"),
        ("&amp; &#60; &#x3C;", "\\&amp; \\&#60; \\&#x3C;"),
        ("*loud* and **louder**", "\\*loud\\* and \\*\\*louder\\*\\*"),
        ("_quiet_ words", "\\_quiet\\_ words"),
        ("~~struck~~ out", "\\~\\~struck\\~\\~ out"),
        ("`code` here", "\\`code\\` here"),
        # The backslash is kept as written; a star alone opens nothing.
        ("a backslash \\* here", "a backslash \\\\* here"),
    ],
)
def test_markup_in_what_people_write_stays_text(text: str, escaped: str) -> None:
    assert line(text) == escaped


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("# Budget", "\\# Budget"),
        ("- not a list", "\\- not a list"),
        ("+ nor this", "\\+ nor this"),
        ("* nor this", "\\* nor this"),
        ("> not a quote", "\\> not a quote"),
        ("1. not a numbered list", "1\\. not a numbered list"),
        ("2025) a year", "2025\\) a year"),
        ("---", "\\---"),
        ("===", "\\==="),
        ("```", "\\```"),
    ],
)
def test_what_would_start_a_block_at_the_start_of_a_line_is_escaped(
    text: str, escaped: str
) -> None:
    assert line(text) == escaped
    # Inside a table cell or a heading no block starts: only a cell's bar is markup there.
    assert line(text, cell=True) == text


def test_a_table_cell_escapes_its_bars_and_a_heading_its_closing_hashes() -> None:
    assert line("llamar | salón", cell=True) == "llamar \\| salón"
    assert line("Budget #", heading=True) == "Budget \\#"
    assert line("#2 Where should we meet?", heading=True) == "#2 Where should we meet?"


def test_the_writers_own_styles_stay_markup_and_the_words_in_them_text() -> None:
    number = md_line((Span("#1", "strong"), Span(" "), Span("a*b*", "em")))
    assert number == "**#1** _a\\*b\\*_"
    assert md_line((Span("[item: Budget]", "em"),)) == "_[item: Budget]_"
    # A backslash at the end of emphasized words does not swallow the closing mark.
    assert md_line((Span("C:\\", "em"),)) == "_C:\\\\_"


def test_emphasis_across_the_lines_of_one_paragraph_is_escaped() -> None:
    """The minutes' header is one paragraph: a star on one line could pair with one on the
    next."""
    lines = [(Span("Chairs: *Ana"),), (Span("Beto* (MX)"),)]
    assert md_lines(lines) == "Chairs: \\*Ana  \nBeto\\* (MX)  "
    alone = [(Span("Chairs: *Ana"),), (Span("Beto (MX)"),)]
    assert md_lines(alone) == "Chairs: *Ana  \nBeto (MX)  "
