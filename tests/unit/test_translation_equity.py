"""Language equity in the minutes: counts per direction, each center's words that reached the
other room in its language, interpreters named in the transcript."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.interpretation import Origin
from bot.domain.minutes import Interpretation, SaidMessage, WrittenText
from bot.domain.translation_equity import CopyOutcome, translation_equity
from bot.i18n import Catalogs
from bot.render.minutes import MinutesRenderer
from tests.harness.reading import as_read
from tests.unit.test_minutes import ALICE, BETO, START, minutes


def copy(event: str, center: str, source: str, target: str, origin: Origin | None, **kw):
    return CopyOutcome(
        source_event_id=event,
        center=center,
        source_language=source,
        target_language=target,
        origin=origin,
        translated=kw.get("translated", origin is not Origin.PENDING),
        settled_in_time=kw.get("settled", True),
        word_count=kw.get("words", 4),
        companion=kw.get("companion", False),
    )


COPIES = (
    copy("$1", "US", "en", "es", Origin.MACHINE),
    copy("$2", "US", "en", "es", Origin.INTERPRETER),
    copy("$3", "US", "en", "es", Origin.MEMORY),
    copy("$4", "US", "en", "es", Origin.PENDING, words=6),
    copy("$5", "MX", "es", "en", Origin.MACHINE, settled=False, words=10),  # after the meeting
    copy("$6", "MX", "es", "es", Origin.AS_WRITTEN, words=3),  # Spanish in the English room
    copy("$6", "MX", "es", "en", Origin.MACHINE, companion=True, words=3),
    copy("$7", "MX", "es", "en", None, translated=True, words=2),  # from before origins
)


def test_each_direction_counts_who_translated() -> None:
    equity = translation_equity(COPIES, ("US", "MX"), ("en", "es"))
    counts = {(d.source, d.target): d for d in equity.directions}
    assert list(counts) == [("en", "es"), ("es", "en")]
    en_es, es_en = counts[("en", "es")], counts[("es", "en")]
    assert (en_es.messages, en_es.machine, en_es.interpreted, en_es.memory, en_es.untranslated) == (
        4,
        1,
        1,
        1,
        1,
    )
    assert (es_en.messages, es_en.machine, es_en.untranslated) == (3, 3, 0)


def test_a_centers_reach_counts_words_that_arrived_in_time_in_the_rooms_language() -> None:
    equity = translation_equity(COPIES, ("US", "MX", "CA"), ("en", "es"))
    reach = {c.center: c for c in equity.centers}
    assert (reach["US"].reached_words, reach["US"].words) == (12, 18)  # the pending one did not
    # $5 arrived after the meeting; $6 was already Spanish; $7's copy predates origins.
    assert (reach["MX"].reached_words, reach["MX"].words) == (5, 15)
    assert reach["CA"].share is None


def test_the_minutes_name_interpreters_and_show_interpretations_beside_the_words() -> None:
    said = SaidMessage(
        ALICE.user_id,
        "Alice",
        "US",
        START,
        WrittenText("hello all", "en", {"es": "hola a todas"}, {"es": "Dani"}),
        event_id="$hello",
    )
    other = SaidMessage(
        BETO.user_id, "Beto", "MX", START + timedelta(minutes=5), WrittenText("sí", "es"), "$si"
    )
    data = minutes(
        messages=(said, other),
        interpretations=(
            Interpretation("$hello", "Dani", START + timedelta(seconds=30), "dice: hola a todas"),
            Interpretation(None, "Dani", START + timedelta(minutes=2), "pausa de cinco minutos"),
        ),
        copies=COPIES,
        languages=("en", "es"),
    )
    text = as_read(MinutesRenderer(Catalogs.load_default()).markdown(data, ["es"]))
    transcript = text.split("## Transcripción bilingüe")[1]
    lines = [line for line in transcript.splitlines() if line.startswith("|")]
    said_row = next(i for i, line in enumerate(lines) if "_(interpretado por Dani)_" in line)
    interpreted = lines[said_row + 1]
    assert "_Dani, interpretando_" in interpreted and "dice: hola a todas" in interpreted
    assert "pausa de cinco minutos" in lines[said_row + 2]  # in its place in time
    assert "sí" in lines[said_row + 3]
    equity = text.split("## Equidad lingüística")[1].split("\n## ")[0]
    assert "| en → es | 4 | 1 | 1 | 1 | 1 |" in equity
    assert "MX: el 33" in equity and "(5 de 15)" in equity


def test_with_nothing_translated_the_equity_section_says_so_and_agrees_with_itself() -> None:
    """Translation provider `none`: every copy shows the words as written. The table counts
    them, untranslated, and no sentence says they reached the other room in its language."""
    said = (
        SaidMessage(ALICE.user_id, "Alice", "US", START, WrittenText("we eat at noon", "en"), "$a"),
        SaidMessage(BETO.user_id, "Beto", "MX", START, WrittenText("sí", "es"), "$b"),
    )
    copies = (
        copy("$a", "US", "en", "es", Origin.AS_WRITTEN, translated=False, words=4),
        copy("$b", "MX", "es", "en", Origin.AS_WRITTEN, translated=False, words=1),
    )
    equity = translation_equity(copies, ("US", "MX"), ("en", "es"))
    counts = {(d.source, d.target): d for d in equity.directions}
    assert (counts[("en", "es")].messages, counts[("en", "es")].untranslated) == (1, 1)
    assert (counts[("es", "en")].messages, counts[("es", "en")].untranslated) == (1, 1)
    assert [(c.center, c.reached_words, c.words) for c in equity.centers] == [
        ("US", 0, 4),
        ("MX", 0, 1),
    ]

    data = minutes(messages=said, copies=copies, languages=("en", "es"), turns=())
    text = MinutesRenderer(Catalogs.load_default()).markdown(data, ["en"])
    section = text.split("## Language equity")[1].split("\n## ")[0]
    assert "| en → es | 1 | 0 | 0 | 0 | 1 |" in section
    assert "| es → en | 1 | 0 | 0 | 0 | 1 |" in section
    assert "Nothing was translated during this meeting" in section
    assert "US: 0% of its words reached the other room in its language (0 of 4)." in section
    assert "100%" not in section
    alone = MinutesRenderer(Catalogs.load_default()).markdown(
        minutes(messages=said[:1], copies=copies[:1], languages=("en", "es"), turns=()), ["en"]
    )
    assert "- MX: wrote nothing in the rooms." in alone
    # The speaking statistics count the same words.
    statistics = text.split("## Speaking statistics")[1].split("\n## ")[0]
    assert "| Words | 4 | 1 |" in statistics
    spanish = MinutesRenderer(Catalogs.load_default()).markdown(data, ["es"])
    assert "No se tradujo nada durante esta reunión" in spanish


def test_words_written_in_the_rooms_language_reached_it_without_translation() -> None:
    """Beto wrote in English in the English room: the English room read him as written."""
    copies = (
        copy("$c", "MX", "en", "en", Origin.AS_WRITTEN, translated=False, words=3),
        copy("$c", "MX", "en", "es", Origin.MACHINE, companion=True, words=3),
    )
    equity = translation_equity(copies, ("US", "MX"), ("en", "es"))
    reach = {c.center: c for c in equity.centers}
    assert (reach["MX"].reached_words, reach["MX"].words) == (3, 3)
