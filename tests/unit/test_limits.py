"""Size limits: one place, clear refusals, and long messages translated only in part."""

from __future__ import annotations

import pytest

from bot.domain.assembly import Assembly, AssemblyDirectory
from bot.domain.limits import MAX_POLL_OPTIONS, split_for_translation
from bot.domain.poll_input import read_poll_request
from bot.domain.tally import DecisionRule
from bot.framework.errors import CommandError
from bot.i18n import Catalogs
from bot.services.interpretation import InterpretationService
from bot.services.mirror import MirrorWorker
from bot.services.translation_gateway import TranslationGateway
from bot.storage.database import Database
from bot.storage.interpretation_store import InterpretationStore


def test_a_short_message_is_sent_for_translation_whole() -> None:
    assert split_for_translation("hola a todos", 2000) == ("hola a todos", "")


def test_a_long_message_is_cut_between_words_and_nothing_is_lost() -> None:
    text = "palabra " * 400  # 3200 characters
    head, rest = split_for_translation(text, 2000)
    assert len(head) <= 2000 and head + rest == text
    assert head.endswith("palabra") and rest.startswith(" ")


def test_one_endless_word_is_cut_at_the_limit() -> None:
    head, rest = split_for_translation("x" * 5000, 2000)
    assert (len(head), len(rest)) == (2000, 3000)


def test_a_poll_may_have_up_to_the_limit_of_options_and_no_more() -> None:
    options = [f"option {n}" for n in range(1, MAX_POLL_OPTIONS + 2)]
    accepted = read_poll_request(("Which day?", *options[:MAX_POLL_OPTIONS]), DecisionRule.MAJORITY)
    assert accepted.options == tuple(options[:MAX_POLL_OPTIONS])
    with pytest.raises(CommandError) as refused:
        read_poll_request(("Which day?", *options), DecisionRule.MAJORITY)
    assert refused.value.message.key == "poll.error.too_many_options"


class CountingTranslator:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def translate(self, text: str, source: str, target: str, **_: object) -> str:
        self.asked.append(text)
        return text.replace("palabra", "word")


async def test_only_the_first_part_of_a_long_message_goes_to_the_translator() -> None:
    translator = CountingTranslator()
    db = await Database.open(":memory:")
    mirror = MirrorWorker(
        db=db,
        store=None,  # type: ignore[arg-type]
        directory=AssemblyDirectory(()),
        people=None,  # type: ignore[arg-type]
        delivery=None,  # type: ignore[arg-type]
        translation=TranslationGateway(translator, cooldown_seconds=30, quick_budget=1.5),
        interpretation=InterpretationService(db, InterpretationStore(db), {}),
        catalogs=Catalogs.load_default(),
        max_chars=100,
    )
    text = "palabra " * 50  # 400 characters
    words = await mirror._translate(text, "es", "en", Assembly("General", ()))
    assert [len(asked) for asked in translator.asked] == [95]
    head, note, rest = words.shown.split("\n", 2)
    assert head == "word " * 11 + "word"
    assert note == "[the rest is not translated: it is too long]"
    assert rest == text[96:] and words.original == text
    await db.close()
