"""What chairs type for meetings, and how the bot words times and turns in both languages."""

from __future__ import annotations

import pytest

from bot.domain.messages import Msg
from bot.domain.names import isolate
from bot.domain.stack import Hand, StackPolicy, TurnKind
from bot.framework.errors import UsageError
from bot.i18n import Catalogs
from bot.render import meetings as phrases
from bot.services.agenda import AgendaEntry
from commands.agenda import read_agenda_entry
from commands.stack import is_raised_hand, to_policy, to_turn_limit

CATALOGS = Catalogs.load_default()


@pytest.mark.parametrize(
    ("typed", "entry"),
    [
        ("Budget", AgendaEntry("Budget")),
        ("Budget 10m", AgendaEntry("Budget", 600)),
        ("10m Budget", AgendaEntry("Budget", 600)),
        (
            "Budget review 1h30m @ana:example.org",
            AgendaEntry("Budget review", 5400, "@ana:example.org"),
        ),
        ("@ana:example.org Budget 90s", AgendaEntry("Budget", 90, "@ana:example.org")),
        ("Plans for 2025", AgendaEntry("Plans for 2025")),
        ("Discuss 5m budget", AgendaEntry("Discuss 5m budget")),
        ("10m", AgendaEntry("", 600)),
    ],
)
def test_a_chair_writes_an_item_with_timebox_and_owner_at_either_end(
    typed: str, entry: AgendaEntry
) -> None:
    assert read_agenda_entry(typed.split()) == entry


def test_a_timebox_longer_than_a_day_is_refused() -> None:
    with pytest.raises(UsageError):
        read_agenda_entry(["Budget", "25h"])


@pytest.mark.parametrize(
    ("typed", "policy"),
    [
        ("fifo", StackPolicy.FIFO),
        ("Progressive", StackPolicy.PROGRESSIVE),
        ("progresiva", StackPolicy.PROGRESSIVE),
        ("alterna", StackPolicy.ALTERNATE),
        ("alternate", StackPolicy.ALTERNATE),
    ],
)
def test_policies_have_english_and_spanish_names(typed: str, policy: StackPolicy) -> None:
    assert to_policy(typed) is policy


def test_an_unknown_policy_is_a_usage_error_naming_it() -> None:
    with pytest.raises(UsageError) as caught:
        to_policy("random")
    assert caught.value.message == Msg.of("stack.bad_policy", value="random")


def test_a_turn_limit_is_a_duration_or_off() -> None:
    assert to_turn_limit("2m") == 120
    assert to_turn_limit("1s") == 1
    assert to_turn_limit("off") is None
    assert to_turn_limit("no") is None
    with pytest.raises(UsageError):
        to_turn_limit("soon")


@pytest.mark.parametrize("key", ["✋", "✋️", "✋︎", "✋🏽", "✋🏿"])
def test_every_raised_hand_counts(key: str) -> None:
    assert is_raised_hand(key)


@pytest.mark.parametrize("key", ["👍", "🙋", "✋✋", ""])
def test_other_reactions_do_not(key: str) -> None:
    assert not is_raised_hand(key)


@pytest.mark.parametrize(
    ("seconds", "english", "spanish"),
    [
        (0, "0 s", "0 s"),
        (45, "45 s", "45 s"),
        (600, "10 min", "10 min"),
        (150, "2 min 30 s", "2 min 30 s"),
        (3900, "1 h 5 min", "1 h 5 min"),
    ],
)
def test_durations(seconds: int, english: str, spanish: str) -> None:
    assert CATALOGS.text("en", phrases.duration(seconds)) == english
    assert CATALOGS.text("es", phrases.duration(seconds)) == spanish


def test_every_kind_of_turn_and_policy_is_worded_in_both_languages() -> None:
    for language in ("en", "es"):
        for kind in TurnKind:
            assert CATALOGS.text(language, phrases.kind(kind))
            hand, first = Hand("@b:x", "MX", kind, 2), Hand("@a:x", "US", TurnKind.ORDINARY, 1)
            assert CATALOGS.text(language, phrases.hand_raised(hand, [hand], str.upper))
            line = CATALOGS.text(language, phrases.hand_raised(hand, [first, hand], str.upper))
            assert "2" in line and f"{isolate('@A:X')} (US)" in line and "\n" not in line
        for policy in StackPolicy:
            assert CATALOGS.text(language, phrases.policy(policy))


def test_names_and_titles_are_escaped_in_html() -> None:
    line = Msg.of("stack.floor", person=phrases.person("<b>Eve</b>", "US"))
    assert "&lt;b&gt;Eve&lt;/b&gt;" in CATALOGS.html("en", line)
    assert CATALOGS.html("en", line) == (
        "<b><bdi>&lt;b&gt;Eve&lt;/b&gt;</bdi></b> (US) has the floor."
    )


@pytest.mark.parametrize(
    ("language", "other_names"),
    [("en", ("speakers list", "speakers' list", "speaking list", "queue")), ("es", ("orador",))],
)
def test_the_stack_has_one_name_in_chat_and_in_the_minutes(
    language: str, other_names: tuple[str, ...]
) -> None:
    """What `!help` calls the stack is what the minutes call it, and nothing calls it else."""
    name = CATALOGS.text(language, Msg.of("group.stack")).lower()
    note = CATALOGS.text(language, Msg.of("minutes.statistics_note", grace="30 s"))
    assert name in note.lower()
    for key in CATALOGS.keys(language):
        words = CATALOGS.template(language, key).lower()
        assert not any(other in words for other in other_names), (key, words)
