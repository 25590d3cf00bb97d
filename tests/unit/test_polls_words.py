"""Every word a poll says exists in both languages, and nothing a person writes is taken as HTML."""

from __future__ import annotations

import re
from pathlib import Path

from bot.domain.messages import Msg
from bot.domain.polls import Poll, listed
from bot.domain.tally import PollKind
from bot.i18n import Catalogs
from bot.render.polls import TEXT, LocalizedPoll, poll_end_content, poll_start_content
from tests.unit.test_polls_parsing import a_poll

ROOT = Path(__file__).resolve().parents[2]
POLL_SOURCES = ("bot/services/polls.py", "bot/render/polls.py", "commands/polls.py")
PREFIXES = ("poll.answer.", "poll.kind.", "poll.rule.", "poll.reason_example.")
KINDS_OF_KEYS = {
    "poll.answer.": ("yes", "no", "abstain", "agree", "stand_aside", "block"),
    "poll.kind.": ("yes_no", "choice", "consensus"),
    "poll.rule.": ("majority", "two_thirds", "double_majority", "double_two_thirds", "consensus"),
    "poll.reason_example.": ("block", "stand_aside"),
}


def test_every_poll_message_the_code_names_is_in_both_catalogs() -> None:
    catalogs = Catalogs.load_default()
    named = set()
    for source in POLL_SOURCES:
        named |= set(re.findall(r'"(poll\.[a-z_.]+[a-z_])"', (ROOT / source).read_text()))
    for prefix, endings in KINDS_OF_KEYS.items():
        named |= {prefix + ending for ending in endings}
    for language in ("en", "es"):
        missing = sorted(key for key in named if key not in catalogs.keys(language))
        assert not missing, (language, missing)


def test_the_start_event_is_what_element_sends() -> None:
    poll: Poll = a_poll(PollKind.YES_NO)
    wording = LocalizedPoll("en", "Lunch?", (("yes", "Yes"), ("no", "No"), ("abstain", "Abstain")))
    content = poll_start_content(poll, wording, "fallback")
    start = content["org.matrix.msc3381.poll.start"]
    assert start["question"][TEXT] == "Lunch?"
    assert start["answers"][0] == {"id": "yes", TEXT: "Yes"}
    assert start["kind"] == "org.matrix.msc3381.poll.disclosed"
    assert content[TEXT] == "fallback"
    end = poll_end_content({"$outbox": 4}, "ended")
    assert end["m.relates_to"] == {"rel_type": "m.reference", "event_id": {"$outbox": 4}}
    assert end["org.matrix.msc3381.poll.end"] == {}


def test_a_tie_names_everyone_tied_joined_with_and() -> None:
    catalogs = Catalogs.load_default()
    for names, english, spanish in (
        (["Ana", "Beto"], "Ana and Beto", "Ana y Beto"),
        (["Ana", "Beto", "Carol"], "Ana, Beto and Carol", "Ana, Beto y Carol"),
    ):
        assert catalogs.text("en", Msg.of("poll.result.tie", answers=listed(names))) == (
            f"Outcome: a tie between {english}."
        )
        assert catalogs.text("es", Msg.of("poll.result.tie", answers=listed(names))) == (
            f"Resultado: un empate entre {spanish}."
        )
