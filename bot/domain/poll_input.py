"""What people type to start a poll and to vote, read the way a facilitator would read it.

`!poll [keywords…] "Question" ["Option" …]` becomes a `PollRequest`, and `!vote` words become a
`BallotChoice` for one poll, with a clear `CommandError` for anything that does not fit, before
anything is stored. Keywords and answers are accepted in English and Spanish, with or without
accents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain.durations import to_duration_seconds
from bot.domain.errors import CommandError, UsageError
from bot.domain.limits import (
    MAX_POLL_OPTION,
    MAX_POLL_OPTIONS,
    MAX_POLL_QUESTION,
    MAX_REASON,
    MIN_POLL_OPTIONS,
)
from bot.domain.messages import Msg
from bot.domain.polls import BallotChoice, Poll, PollRequest, answer_label, joined
from bot.domain.tally import (
    ABSTAIN,
    AGREE,
    BLOCK,
    NO,
    STAND_ASIDE,
    YES,
    DecisionRule,
    PollKind,
    Quorum,
)
from bot.domain.words import plain as _plain

MAX_QUORUM = 100_000


_KINDS = {
    **dict.fromkeys(("yesno", "yes/no", "sino", "si/no"), PollKind.YES_NO),
    **dict.fromkeys(("choice", "options", "multiple", "eleccion", "opciones"), PollKind.CHOICE),
    **dict.fromkeys(("consensus", "consenso"), PollKind.CONSENSUS),
}
_RULES = {
    **dict.fromkeys(("majority", "mayoria"), DecisionRule.MAJORITY),
    **dict.fromkeys(
        ("twothirds", "two-thirds", "2/3", "dostercios", "dos-tercios"), DecisionRule.TWO_THIRDS
    ),
}
_DOUBLE = frozenset({"double", "doble"})
_SECRET = frozenset({"secret", "secreta", "secreto", "anonymous", "anonima"})
_OPEN = frozenset({"open", "abierta", "public", "publica"})
_SETTINGS = {
    "max": "max",
    **dict.fromkeys(("quorum", "quorum_overall", "quorum_total"), "quorum"),
    **dict.fromkeys(
        ("quorum_center", "quorum-center", "quorum_centro", "quorum-centro"), "quorum_center"
    ),
    **dict.fromkeys(("deadline", "plazo"), "deadline"),
}
_SETTING_SHAPE = re.compile(r"^[a-z_\-]+=")
_DOUBLE_OF = {
    DecisionRule.MAJORITY: DecisionRule.DOUBLE_MAJORITY,
    DecisionRule.TWO_THIRDS: DecisionRule.DOUBLE_TWO_THIRDS,
}
_BASE_OF = {
    DecisionRule.MAJORITY: (DecisionRule.MAJORITY, False),
    DecisionRule.TWO_THIRDS: (DecisionRule.TWO_THIRDS, False),
    DecisionRule.DOUBLE_MAJORITY: (DecisionRule.MAJORITY, True),
    DecisionRule.DOUBLE_TWO_THIRDS: (DecisionRule.TWO_THIRDS, True),
    DecisionRule.CONSENSUS: (DecisionRule.MAJORITY, False),
}


@dataclass
class _PollKeywords:
    """The keywords in front of a `!poll` question, as they are read."""

    kind: PollKind | None = None
    base_rule: DecisionRule | None = None
    double: bool = False
    secret: bool = False
    settings: dict[str, str] = field(default_factory=dict)


def read_poll_request(words: Sequence[str], default_rule: DecisionRule) -> PollRequest:
    """`!poll [keywords…] "Question" ["Option" …]`; CommandError says what is wrong."""
    keywords = _PollKeywords()
    index = 0
    while index < len(words) and _read_keyword(words[index], keywords):
        index += 1
    question, options = _question_and_options(words[index:], keywords.kind)
    kind = _kind_of(keywords, options, default_rule)
    rule = _rule_of(kind, keywords, default_rule)
    _check_texts(question, options)
    settings = keywords.settings
    return PollRequest(
        kind=kind,
        rule=rule,
        question=question,
        options=options,
        max_selections=_max_selections(kind, settings.get("max"), len(options)),
        secret=keywords.secret,
        quorum=_quorum(settings),
        deadline_seconds=(
            to_duration_seconds(settings["deadline"]) if "deadline" in settings else None
        ),
    )


def _read_keyword(word: str, keywords: _PollKeywords) -> bool:
    """Take one keyword into `keywords`; False when the word is the start of the question."""
    plain = _plain(word)
    if _SETTING_SHAPE.match(plain):
        name, _, value = plain.partition("=")
        if name not in _SETTINGS or not value:
            raise CommandError("poll.error.bad_setting", setting=word)
        keywords.settings[_SETTINGS[name]] = value
    elif plain in _KINDS:
        keywords.kind = _only_one(keywords.kind, _KINDS[plain], word)
    elif plain in _RULES:
        keywords.base_rule = _only_one(keywords.base_rule, _RULES[plain], word)
    elif plain in _DOUBLE:
        keywords.double = True
    elif plain in _SECRET or plain in _OPEN:
        keywords.secret = plain in _SECRET
    else:
        return False
    return True


def _only_one(current: Any, new: Any, word: str) -> Any:
    if current is not None and current != new:
        raise CommandError("poll.error.conflicting", word=word)
    return new


def _question_and_options(
    texts: Sequence[str], kind: PollKind | None
) -> tuple[str, tuple[str, ...]]:
    if not texts or not texts[0].strip():
        raise CommandError("poll.error.no_question")
    # An unquoted question ("!poll Do we agree?") arrives as several words; its last word ends
    # with a question mark, which an option rarely does.
    if len(texts) > 1 and kind is not PollKind.CHOICE and texts[-1].endswith("?"):
        return " ".join(texts).strip(), ()
    return texts[0].strip(), tuple(t.strip() for t in texts[1:])


def _kind_of(
    keywords: _PollKeywords, options: tuple[str, ...], default_rule: DecisionRule
) -> PollKind:
    if options:
        if keywords.kind not in (None, PollKind.CHOICE):
            raise CommandError("poll.error.options_not_allowed", kind=_kind_label(keywords.kind))
        return PollKind.CHOICE
    if keywords.kind is PollKind.CHOICE:
        raise CommandError("poll.error.too_few_options", min=MIN_POLL_OPTIONS)
    if keywords.kind is not None:
        return keywords.kind
    explicit_rule = keywords.base_rule is not None or keywords.double
    if default_rule is DecisionRule.CONSENSUS and not explicit_rule:
        return PollKind.CONSENSUS
    return PollKind.YES_NO


def _rule_of(
    kind: PollKind, keywords: _PollKeywords, default_rule: DecisionRule
) -> DecisionRule | None:
    explicit = keywords.base_rule is not None or keywords.double
    if kind is PollKind.CHOICE:
        if explicit:
            raise CommandError("poll.error.choice_has_no_rule")
        return None
    if kind is PollKind.CONSENSUS:
        if explicit:
            raise CommandError("poll.error.consensus_rule_fixed")
        return DecisionRule.CONSENSUS
    if not explicit:
        return default_rule if default_rule is not DecisionRule.CONSENSUS else DecisionRule.MAJORITY
    default_base, _ = _BASE_OF[default_rule]
    base = keywords.base_rule or default_base
    return _DOUBLE_OF[base] if keywords.double else base


def _check_texts(question: str, options: tuple[str, ...]) -> None:
    if len(question) > MAX_POLL_QUESTION:
        raise CommandError("poll.error.question_too_long", max=MAX_POLL_QUESTION)
    if options and len(options) < MIN_POLL_OPTIONS:
        raise CommandError("poll.error.too_few_options", min=MIN_POLL_OPTIONS)
    if len(options) > MAX_POLL_OPTIONS:
        raise CommandError("poll.error.too_many_options", max=MAX_POLL_OPTIONS)
    seen: set[str] = set()
    for option in options:
        if not option:
            raise CommandError("poll.error.empty_option")
        if len(option) > MAX_POLL_OPTION:
            raise CommandError("poll.error.option_too_long", max=MAX_POLL_OPTION)
        if _plain(option) in seen:
            raise CommandError("poll.error.duplicate_option", option=option)
        seen.add(_plain(option))


def _max_selections(kind: PollKind, value: str | None, options: int) -> int:
    if value is None:
        return 1
    if kind is not PollKind.CHOICE:
        raise CommandError("poll.error.max_without_choice")
    return _whole_number(value, "max", 1, options)


def _quorum(settings: dict[str, str]) -> Quorum | None:
    overall = settings.get("quorum")
    per_center = settings.get("quorum_center")
    if overall is None and per_center is None:
        return None
    return Quorum(
        _whole_number(overall, "quorum", 1, MAX_QUORUM) if overall else None,
        _whole_number(per_center, "quorum_center", 1, MAX_QUORUM) if per_center else None,
    )


def _whole_number(value: str, setting: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise CommandError(
            "poll.error.bad_number", setting=setting, value=value, low=low, high=high
        )
    return int(value)


def _kind_label(kind: PollKind) -> Msg:
    return Msg.of(f"poll.kind.{kind}")


_ANSWER_WORDS: dict[PollKind, dict[str, str]] = {
    PollKind.YES_NO: {
        **dict.fromkeys(("yes", "y", "si", "s", "afavor"), YES),
        **dict.fromkeys(("no", "n", "encontra"), NO),
        **dict.fromkeys(
            ("abstain", "abstention", "abs", "abstencion", "abstengo", "abstenerse"), ABSTAIN
        ),
    },
    PollKind.CONSENSUS: {
        **dict.fromkeys(("agree", "acuerdo", "deacuerdo", "de-acuerdo"), AGREE),
        **dict.fromkeys(
            (
                "aside",
                "standaside",
                "stand-aside",
                "stand_aside",
                "aparte",
                "apartarse",
                "meaparto",
            ),
            STAND_ASIDE,
        ),
        **dict.fromkeys(("block", "bloquear", "bloqueo", "bloqueado"), BLOCK),
    },
}
_WITHDRAW = frozenset({"withdraw", "none", "retirar", "retiro", "ninguna", "ninguno"})


def read_ballot(poll: Poll, words: Sequence[str]) -> BallotChoice:
    """`!vote` words for one poll: numbers, answer words, `withdraw`; a reason for consensus."""
    if not words:
        raise UsageError("error.usage")
    if _plain(words[0]) in _WITHDRAW:
        if len(words) > 1:
            raise CommandError("poll.error.one_answer", number=poll.shown_number)
        return BallotChoice(())
    if poll.kind is PollKind.CHOICE:
        return BallotChoice(_choices(poll, words))
    answer = _fixed_answer(poll, words[0])
    reason = " ".join(words[1:]).strip() or None
    if reason and poll.kind is not PollKind.CONSENSUS:
        raise CommandError("poll.error.one_answer", number=poll.shown_number)
    if reason and len(reason) > MAX_REASON:
        raise CommandError("poll.error.reason_too_long", max=MAX_REASON)
    return BallotChoice((answer,), reason)


def _choices(poll: Poll, words: Sequence[str]) -> tuple[str, ...]:
    by_text = {_plain(text): str(n) for n, text in enumerate(poll.options, start=1)}
    chosen: list[str] = []
    for word in words:
        if _plain(word) in by_text:
            chosen.append(by_text[_plain(word)])
            continue
        for token in word.replace(",", " ").split():
            chosen.append(_numbered_answer(poll, token))
    answers = tuple(dict.fromkeys(chosen))
    if len(answers) > poll.max_selections:
        raise CommandError(
            "poll.error.too_many_answers", number=poll.shown_number, max=poll.max_selections
        )
    return answers


def _fixed_answer(poll: Poll, word: str) -> str:
    answer = _ANSWER_WORDS[poll.kind].get(_plain(word))
    return answer if answer else _numbered_answer(poll, word)


def _numbered_answer(poll: Poll, word: str) -> str:
    ids = poll.answer_ids
    if word.isdigit() and 1 <= int(word) <= len(ids):
        return ids[int(word) - 1]
    raise CommandError(
        "poll.error.bad_answer", answer=word, number=poll.shown_number, answers=_menu(poll)
    )


def _menu(poll: Poll) -> Msg | Any:
    return joined(
        [
            Msg.of("poll.numbered", number=n, answer=answer_label(poll, answer))
            for n, answer in enumerate(poll.answer_ids, start=1)
        ]
    )


def parse_poll_number(word: str) -> int:
    """`#3` or `3`."""
    text = word.removeprefix("#")
    if not text.isdigit() or int(text) < 1:
        raise CommandError("poll.error.bad_poll_number", value=word)
    return int(text)


def split_poll_number(words: Sequence[str]) -> tuple[int | None, Sequence[str]]:
    """`#3 yes` names poll #3; without `#`, the one open poll is meant."""
    if words and words[0].startswith("#"):
        return parse_poll_number(words[0]), words[1:]
    return None, words
