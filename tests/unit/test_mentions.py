"""How a command names a person: by Matrix id, by a pill (a mention picked in the client), or by a
name that only one member of the assembly has.

The pills are read as Element sends them: the plain body holds the display name, the HTML body a
matrix.to link around it, and `m.mentions` the person's id.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.mentions import MemberName, Pill, match_name, pills_in, user_id_of_link
from bot.domain.messages import Msg
from bot.framework.commands import CommandSpec, Param, read_person, to_person
from bot.framework.errors import CommandError, UsageError
from bot.framework.parsing import Mention, parse_invocation
from bot.i18n import Catalogs
from tests.harness.reading import as_read

CATALOGS = Catalogs.load_default()
ANA_US = MemberName("@ana:us.example", "Ana (US)", "Ana", "US")
ANA_MX = MemberName("@ana:mx.example", "Ana", "Ana", "MX")
CAROL = MemberName("@carol:example.org", "Carol (US)", "Carol", "US")
JOSE = MemberName("@jose:mx.example", "José María", "José María", "MX")
MEMBERS = (ANA_US, ANA_MX, CAROL, JOSE)


def link(user_id: str, text: str) -> str:
    return f'<a href="https://matrix.to/#/{user_id}">{text}</a>'


def no_names(user_id: str) -> str:
    return user_id


def spans(body: str, pills: tuple[Pill, ...]) -> list[tuple[str, str]]:
    return [(body[p.start : p.end], p.user_id) for p in pills]


# -- pills ------------------------------------------------------------------------------------


def test_elements_pill_names_the_person_in_the_words_it_occupies() -> None:
    body = "!action Carol (US) Send the budget"
    html = f"!action {link(CAROL.user_id, 'Carol (US)')} Send the budget"
    pills = pills_in(body, html, [CAROL.user_id], no_names)
    assert spans(body, pills) == [("Carol (US)", CAROL.user_id)]


@pytest.mark.parametrize(
    ("href", "user_id"),
    [
        ("https://matrix.to/#/@carol:example.org", "@carol:example.org"),
        ("https://matrix.to/#/@carol:example.org?via=example.org", "@carol:example.org"),
        ("https://matrix.to/#/%40carol%3Aexample.org", "@carol:example.org"),
        ("matrix:u/carol:example.org", "@carol:example.org"),
        ("matrix:u/carol:example.org?action=chat", "@carol:example.org"),
        ("https://matrix.to/#/@carol:example.org:8448", "@carol:example.org:8448"),
        ("https://matrix.to/#/!room:example.org/$event", None),
        ("https://matrix.to/#/#assembly:example.org", None),
        ("matrix:r/assembly:example.org", None),
        ("https://example.org/#/@carol:example.org", None),
        ("javascript:alert('@carol:example.org')", None),
        ("https://matrix.to/#/@carol", None),
        ("", None),
    ],
)
def test_a_link_names_a_person_only_when_it_is_a_user_permalink(
    href: str, user_id: str | None
) -> None:
    assert user_id_of_link(href) == user_id


def test_a_matrix_uri_pill_counts_as_a_matrix_to_one() -> None:
    body = "!chair José María"
    html = '!chair <a href="matrix:u/jose:mx.example">José María</a>'
    assert spans(body, pills_in(body, html, [], no_names)) == [("José María", JOSE.user_id)]


def test_mentions_alone_are_found_by_the_persons_display_name() -> None:
    """A client that sends no HTML still says whom it mentions in `m.mentions`."""
    body = "!remove Ana (US)"
    names = {ANA_US.user_id: "Ana (US)"}
    pills = pills_in(body, None, [ANA_US.user_id], lambda u: names.get(u, u))
    assert spans(body, pills) == [("Ana (US)", ANA_US.user_id)]


def test_a_mentioned_name_inside_another_word_is_no_pill() -> None:
    body = "!info Anabel came"
    assert pills_in(body, None, [ANA_MX.user_id], lambda u: "Ana") == ()


def test_the_same_name_twice_takes_the_pill_where_the_link_is() -> None:
    body = "!action Ana Call Ana back"
    html = f"!action Ana Call {link(ANA_MX.user_id, 'Ana')} back"
    assert [p.start for p in pills_in(body, html, [ANA_MX.user_id], no_names)] == [17]


def test_a_reply_fallback_is_never_a_pill() -> None:
    """Element quotes the message replied to inside `<mx-reply>`, with its author's link, and
    adds that author to `m.mentions`: neither names anyone in the command."""
    body = "!chair Beto"
    html = (
        '<mx-reply><blockquote><a href="https://matrix.to/#/!r:x/$e">In reply to</a> '
        f"{link('@beto:x', 'Beto')}<br>hello</blockquote></mx-reply>!chair Beto"
    )
    assert pills_in(body, html, [], no_names) == ()


@pytest.mark.parametrize(
    "html",
    [
        '<a href="javascript:alert(1)">Carol (US)</a>',
        '<a>Carol (US)</a><a href="https://matrix.to/#/@x:y">',
        f"<a href=\"https://matrix.to/#/{CAROL.user_id}\"><a href='x'>Carol (US)</a></a>",
        "<mx-reply>" + link(CAROL.user_id, "Carol (US)"),
        "<" * 5000 + link("@x:y", "Someone else") + "<!--",
        link("@" + "c" * 300 + ":example.org", "Carol (US)"),
        link(CAROL.user_id, "<b></b>"),
        link("@evil:x", "nothing like the body"),
    ],
)
def test_hostile_html_makes_no_pill_and_no_crash(html: str) -> None:
    assert pills_in("!chair Carol (US)", html, [], no_names) == ()


def test_link_text_is_read_as_text_not_markup() -> None:
    body = "!chair <Ana & co>"
    html = f"!chair {link(ANA_US.user_id, '&lt;Ana &amp; co&gt;')}"
    assert spans(body, pills_in(body, html, [], no_names)) == [("<Ana & co>", ANA_US.user_id)]


def test_a_pill_becomes_one_word_that_remembers_whom_it_names() -> None:
    body = '!action Carol (US) Call "the hall" for Ana (US)'
    html = (
        f'!action {link(CAROL.user_id, "Carol (US)")} Call "the hall" for '
        f"{link(ANA_US.user_id, 'Ana (US)')}"
    )
    invocation = parse_invocation(body, "!", pills_in(body, html, [], no_names))
    assert invocation is not None
    assert invocation.words == ("Carol (US)", "Call", "the hall", "for", "Ana (US)")
    first, last = invocation.words[0], invocation.words[-1]
    assert isinstance(first, Mention) and first.user_id == CAROL.user_id
    assert isinstance(last, Mention) and last.user_id == ANA_US.user_id
    assert not isinstance(invocation.words[1], Mention)


def test_a_link_around_the_command_word_leaves_it_a_command() -> None:
    """No client makes it, but a hand-written link around "!chair" is still the command, and
    the pill after it still names Carol."""
    body = "!chair Carol (US)"
    html = f'{link(ANA_MX.user_id, "!chair")} {link(CAROL.user_id, "Carol (US)")}'
    invocation = parse_invocation(body, "!", pills_in(body, html, [], no_names))
    assert invocation is not None and invocation.name == "chair"
    assert invocation.words == ("Carol (US)",)
    assert isinstance(invocation.words[0], Mention)
    assert invocation.words[0].user_id == CAROL.user_id


def test_a_pill_inside_quotes_is_part_of_the_quoted_words() -> None:
    body = '!poll "Does Carol (US) chair?"'
    html = f'!poll "Does {link(CAROL.user_id, "Carol (US)")} chair?"'
    invocation = parse_invocation(body, "!", pills_in(body, html, [], no_names))
    assert invocation is not None and invocation.words == ("Does Carol (US) chair?",)
    assert not isinstance(invocation.words[0], Mention)


# -- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "member"),
    [
        ("Carol", CAROL),
        ("carol (us)", CAROL),
        ("CAROL (US)", CAROL),
        ("Ana (MX)", ANA_MX),
        ("ana (us)", ANA_US),
        ("jose maria", JOSE),
        ("José  María", JOSE),
        ("@Carol", CAROL),
    ],
)
def test_a_name_only_one_member_has_names_them_in_any_case_and_accents(
    typed: str, member: MemberName
) -> None:
    found = match_name(typed.split(), MEMBERS, whole=True)
    assert found.people == (member,) and found.words == len(typed.split())


def test_a_name_two_members_share_names_both() -> None:
    assert match_name(["ana"], MEMBERS, whole=True).people == (ANA_US, ANA_MX)


def test_a_name_nobody_has_names_nobody() -> None:
    assert match_name(["Zoe"], MEMBERS, whole=True).people == ()
    assert match_name(["Carol", "Ann"], MEMBERS, whole=True).people == ()


def test_before_more_words_the_longest_name_that_fits_is_taken() -> None:
    found = match_name(["José", "María", "call", "the", "hall"], MEMBERS, whole=False)
    assert found.people == (JOSE,) and found.words == 2
    found = match_name(["Carol", "(US)", "Send", "the", "budget"], MEMBERS, whole=False)
    assert found.people == (CAROL,) and found.words == 2


# -- the one reader every command uses ------------------------------------------------------


def roster() -> tuple[MemberName, ...]:
    return MEMBERS


def test_the_reader_takes_an_id_a_pill_or_a_name() -> None:
    assert read_person(["@zoe:elsewhere"], roster, whole=True) == ("@zoe:elsewhere", 1)
    assert read_person([Mention("Ana", ANA_MX.user_id), "x"], roster, whole=False) == (
        ANA_MX.user_id,
        1,
    )
    assert read_person(["Carol", "(US)"], roster, whole=True) == (CAROL.user_id, 2)
    assert read_person(["carol", "send", "it"], roster, whole=False) == (CAROL.user_id, 1)


def test_an_ambiguous_name_is_answered_with_the_candidates_in_both_languages() -> None:
    with pytest.raises(CommandError) as caught:
        read_person(["Ana"], roster, whole=True)
    message = caught.value.message
    assert message.key == "error.person_ambiguous"
    english = as_read(CATALOGS.text("en", message))
    assert "“Ana”" in english
    assert "Ana (US) (@ana:us.example)" in english and "Ana (MX) (@ana:mx.example)" in english
    spanish = CATALOGS.text("es", message)
    assert "«Ana»" in spanish and "@ana:mx.example" in spanish


def test_an_unknown_name_is_answered_saying_nobody_matched() -> None:
    with pytest.raises(UsageError) as caught:
        read_person(["Zoe", "Smith"], roster, whole=True)
    message = caught.value.message
    assert message == Msg.of("error.person_unknown", typed="Zoe Smith")
    assert "Zoe Smith" in CATALOGS.text("en", message)
    assert "Zoe Smith" in CATALOGS.text("es", message)


def test_a_command_reads_a_name_of_several_words_before_its_text() -> None:
    spec = CommandSpec(
        "action", "tarea", (Param("owner", to_person), Param("text", rest=True, optional=True))
    )
    words = ["José", "María", "call", "the", "hall"]
    assert spec.convert(words, roster) == {"owner": JOSE.user_id, "text": "call the hall"}
    chair = CommandSpec("chair", "moderar", (Param("person", to_person),))
    assert chair.convert(["carol", "(us)"], roster) == {"person": CAROL.user_id}
    with pytest.raises(UsageError):
        chair.convert([], roster)


def test_mentions_that_are_not_user_ids_name_nobody() -> None:
    body = "!chair Carol (US)"
    assert pills_in(body, None, ["Carol (US)", "#room:x"], lambda u: "Carol (US)") == ()


def test_a_body_that_types_the_marks_pills_use_keeps_its_words_as_typed() -> None:
    body = "!chair \ue0000\ue001 Carol (US)"
    html = f"!chair \ue0000\ue001 {link(CAROL.user_id, 'Carol (US)')}"
    invocation = parse_invocation(body, "!", pills_in(body, html, [], no_names))
    assert invocation is not None
    assert invocation.words == ("\ue0000\ue001", "Carol", "(US)")
    assert not any(isinstance(word, Mention) for word in invocation.words)


_PIECES = st.sampled_from(
    [
        "!chair ",
        "Carol (US)",
        link(CAROL.user_id, "Carol (US)"),
        link("@x:y", 'Ana "Q'),
        '<a href="matrix:u/ana:mx.example">',
        "</a>",
        "<mx-reply>",
        "</mx-reply>",
        "<",
        '"',
        "&amp;",
        "\ue000",
        "\ue0010\ue001",
        " ",
        "Ana",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12), st.lists(_PIECES, max_size=12))
def test_any_body_and_html_give_words_or_a_quoting_error_and_nothing_else(
    body_pieces: list[str], html_pieces: list[str]
) -> None:
    body, html = "!chair " + "".join(body_pieces), "".join(html_pieces)
    pills = pills_in(body, html, [ANA_MX.user_id, "junk"], lambda u: "Ana")
    for pill in pills:
        assert 0 <= pill.start < pill.end <= len(body)
    try:
        invocation = parse_invocation(body, "!", pills)
    except CommandError as error:
        assert error.message.key == "error.unbalanced_quote"
        return
    assert invocation is not None
    for word in invocation.words:
        assert "\ue000" not in word or "\ue000" in body
