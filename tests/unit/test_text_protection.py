"""What must survive machine translation untouched, tested without any engine."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.text_protection import (
    PLACEHOLDER_RE,
    Glossary,
    is_emoji_only,
    placeholder,
    protect,
    restore,
    split_text,
    strip_reply_fallback,
)

GLOSSARY = Glossary(
    keep=("Asamblea",),
    fixed={("en", "es"): {"assembly": "asamblea"}, ("es", "en"): {"asamblea": "assembly"}},
)


def en_to_es(text: str, **kwargs: object) -> str:
    return protect(text, source="en", target="es", **kwargs).masked  # type: ignore[arg-type]


# --- reply fallbacks ----------------------------------------------------------------------------


def test_beto_replies_to_alice_and_only_his_words_are_translated() -> None:
    body = "> <@alice:example.org> Shall we vote?\n> It is late.\n\nSí, votemos ya"
    html = (
        '<mx-reply><blockquote><a href="https://matrix.to/#/!r:x/$e">In reply to</a> '
        "<a>@alice:example.org</a><br>Shall we vote?</blockquote></mx-reply>Sí, <b>votemos</b> ya"
    )
    assert strip_reply_fallback(body, html) == ("Sí, votemos ya", "Sí, <b>votemos</b> ya")


def test_reply_without_html_or_blank_line() -> None:
    assert strip_reply_fallback("> <@a:x> hi\nhello", None) == ("hello", None)


def test_fallback_with_an_empty_quoted_line() -> None:
    body = "> <@a:x> first\n>\n> third\n\nreply"
    assert strip_reply_fallback(body, None)[0] == "reply"


def test_message_without_fallback_is_unchanged() -> None:
    assert strip_reply_fallback("plain\n\ntext", "<p>plain</p>") == (
        "plain\n\ntext",
        "<p>plain</p>",
    )


def test_multiline_reply_keeps_its_own_blank_lines() -> None:
    body = "> <@a:x> q\n\nline one\n\nline two"
    assert strip_reply_fallback(body, None)[0] == "line one\n\nline two"


# --- protected spans ----------------------------------------------------------------------------


def test_mentions_are_protected_and_restored() -> None:
    protected = protect(
        "hello @alice:example.org and @bob:matrix.org:8448.", source="en", target="es"
    )
    assert protected.masked == "hello [[0]] and [[1]]."
    assert protected.spans == ("@alice:example.org", "@bob:matrix.org:8448")
    assert (
        protected.restore("hola [[0]] y [[1]].")
        == "hola @alice:example.org y @bob:matrix.org:8448."
    )


def test_room_aliases_and_emails_are_protected() -> None:
    assert en_to_es("join #asamblea:example.org or mail ana@example.org") == (
        "join [[0]] or mail [[1]]"
    )


def test_urls_keep_their_balanced_brackets_but_not_the_full_stop() -> None:
    protected = protect(
        "Read https://en.wikipedia.org/wiki/Consensus_(disambiguation). Or www.example.org/a?b=1!",
        source="en",
        target="es",
    )
    assert protected.spans == (
        "https://en.wikipedia.org/wiki/Consensus_(disambiguation)",
        "www.example.org/a?b=1",
    )
    assert protected.masked == "Read [[0]]. Or [[1]]!"


def test_url_in_parentheses() -> None:
    assert en_to_es("the minutes (https://example.org/minutes) are up") == (
        "the minutes ([[0]]) are up"
    )


def test_inline_and_fenced_code_are_protected_with_what_is_inside() -> None:
    text = "run `!vote yes` then:\n```\nhello @alice:x.org https://x.org\n```\ndone"
    protected = protect(text, source="en", target="es")
    assert protected.masked == "run [[0]] then:\n[[1]]\ndone"
    assert protected.spans[1] == "```\nhello @alice:x.org https://x.org\n```"


def test_unclosed_fence_protects_to_the_end() -> None:
    assert en_to_es("look:\n```\nnot closed") == "look:\n[[0]]"


def test_display_name_pills_longest_first() -> None:
    masked = en_to_es("thanks Ana María and Ana", display_names=["Ana", "Ana María"])
    assert masked == "thanks [[0]] and [[1]]"


def test_display_names_match_whole_words_only() -> None:
    assert en_to_es("Banana for Ana", display_names=["Ana"]) == "Banana for [[0]]"


def test_glossary_keeps_the_name_and_fixes_the_common_noun() -> None:
    protected = protect(
        "Asamblea: the assembly votes. Assembly rules!",
        source="en",
        target="es",
        glossary=GLOSSARY,
    )
    assert protected.masked == "[[0]]: the [[1]] votes. [[2]] rules!"
    assert protected.spans == ("Asamblea", "asamblea", "Asamblea")


def test_glossary_works_in_the_other_direction() -> None:
    protected = protect("la asamblea decide", source="es", target="en", glossary=GLOSSARY)
    assert protected.restore(protected.masked) == "la assembly decide"


def test_glossary_for_another_pair_does_nothing() -> None:
    assert protect("the assembly", source="en", target="fr", glossary=GLOSSARY).spans == ()


def test_glossary_terms_inside_other_words_are_left_alone() -> None:
    assert protect("assemblymen", source="en", target="es", glossary=GLOSSARY).spans == ()


def test_text_that_looks_like_a_placeholder_survives() -> None:
    protected = protect("see [[0]] and @a:x.org", source="en", target="es")
    assert protected.masked == "see [[0]] and [[1]]"
    assert protected.restore(protected.masked) == "see [[0]] and @a:x.org"


# --- lenient restore ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mangled",
    [
        "hola [[0]]",
        "hola [[ 0 ]]",
        "hola [ [0] ]",
        "hola ⟦0⟧",
        "hola ［［0］］",
        "hola [[\u00a00]]",
    ],
)
def test_restore_tolerates_what_engines_do_to_tokens(mangled: str) -> None:
    assert restore(mangled, ["@alice:x.org"]) == "hola @alice:x.org"


def test_a_lost_placeholder_is_appended_not_dropped() -> None:
    assert restore("hola y adiós. ", ["@alice:x.org", "https://x.org"]) == (
        "hola y adiós. @alice:x.org https://x.org"
    )


def test_everything_lost_gives_the_spans() -> None:
    assert restore("", ["`code`"]) == "`code`"


def test_an_invented_token_is_left_as_is() -> None:
    assert restore("[[0]] [[7]]", ["@a:x"]) == "@a:x [[7]]"


def test_a_duplicated_token_restores_twice() -> None:
    assert restore("[[0]] [[0]]", ["@a:x"]) == "@a:x @a:x"


def test_needs_translation_only_when_letters_remain() -> None:
    assert not protect("https://x.org @a:x.org 42!", source="en", target="es").needs_translation
    assert protect("see https://x.org", source="en", target="es").needs_translation


# --- emoji --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["👍", " 🎉🎉 ", "❤️", "👩🏽‍💻", "🇲🇽 🇺🇸", "1️⃣"])
def test_emoji_only(text: str) -> None:
    assert is_emoji_only(text)


@pytest.mark.parametrize("text", ["", "  ", "ok 👍", "42", "1", ":)", "👍 3"])
def test_not_emoji_only(text: str) -> None:
    assert not is_emoji_only(text)


# --- splitting ----------------------------------------------------------------------------------


def test_split_prefers_sentence_boundaries() -> None:
    text = "First sentence is here. Second one is here too. Third!"
    assert split_text(text, 26) == [
        "First sentence is here. ",
        "Second one is here too. ",
        "Third!",
    ]


def test_split_prefers_paragraphs_over_sentences() -> None:
    text = "One two three. Four.\n\nFive. Six seven eight nine."
    assert split_text(text, 30) == ["One two three. Four.\n\n", "Five. Six seven eight nine."]


def test_split_falls_back_to_whitespace_then_hard() -> None:
    assert split_text("aaaa bbbb cccc", 10) == ["aaaa bbbb ", "cccc"]
    assert split_text("abcdefghij", 4) == ["abcd", "efgh", "ij"]


def test_hard_split_does_not_cut_a_placeholder() -> None:
    chunks = split_text("x" * 8 + "[[12]]" + "y" * 8, 10)
    assert "".join(chunks) == "x" * 8 + "[[12]]" + "y" * 8
    assert all(len(chunk) <= 10 for chunk in chunks)
    assert any("[[12]]" in chunk for chunk in chunks)


def test_short_and_empty_text_is_one_chunk() -> None:
    assert split_text("hi", 10) == ["hi"]
    assert split_text("", 10) == [""]


@given(st.text(alphabet=st.sampled_from("ab .!?\n[]0"), max_size=300), st.integers(1, 60))
def test_split_is_lossless_and_bounded(text: str, max_chars: int) -> None:
    chunks = split_text(text, max_chars)
    assert "".join(chunks) == text
    assert all(len(chunk) <= max_chars for chunk in chunks)


# --- round trip ---------------------------------------------------------------------------------

_TRICKY = st.sampled_from(
    [
        "@alice:example.org",
        "#room:x.org",
        "https://x.org/a_(b)",
        "`c`",
        "```\nx\n```",
        "[[",
        "]]",
        "[",
        "]",
        "0",
        "7",
        " ",
        "\n",
        ".",
        "hola",
        "Ana",
        "Asamblea",
        "⟦",
        "⟧",
        "[[1]]",
        "[ [2] ]",
        "ana@x.org",
        "!",
        "`",
        "www.x.org",
        "🎉",
    ]
)


@given(st.lists(_TRICKY, max_size=20).map("".join))
def test_identity_engine_round_trips_exactly(text: str) -> None:
    protected = protect(
        text,
        source="en",
        target="es",
        glossary=Glossary(keep=("Asamblea",)),
        display_names=["Ana"],
    )
    assert protected.restore(protected.masked) == text


@given(st.lists(_TRICKY, max_size=20).map("".join))
def test_every_span_has_exactly_one_token(text: str) -> None:
    protected = protect(text, source="en", target="es")
    indexes = [int(m.group(1)) for m in PLACEHOLDER_RE.finditer(protected.masked)]
    assert indexes == list(range(len(protected.spans)))
    assert placeholder(0) == "[[0]]"
