"""The minutes of a meeting, worded in each language and laid out as Markdown and HTML.

A small assembly met on 10 March 2025 (New York had just moved to summer time, Mexico City did not):
carol chaired from the US, beto spoke from Mexico, and someone put markup in the title.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest

from bot.domain.minutes import (
    AgendaEntry as Item,
)
from bot.domain.minutes import (
    CenterCount,
    Dissent,
    LogEntry,
    Member,
    MinutesData,
    PollSummary,
    SaidMessage,
    SpokenTurn,
    WrittenText,
    speaking_statistics,
)
from bot.domain.names import isolate
from bot.domain.speaking_time import Measure
from bot.i18n import Catalogs
from bot.render.minutes import MinutesRenderer, md_escape

HOSTILE = "<script>alert(1)</script>"
# A tag Markdown would pass through as HTML: "<" before a letter or "/", with no backslash.
UNESCAPED_TAG = re.compile(r"(?<!\\)<[A-Za-z/]")
START = datetime(2025, 3, 10, 22, 0, tzinfo=UTC)  # 18:00 New York (EDT), 16:00 Mexico City
CAROL = Member("@carol:x", "Carol", "US")
BETO = Member("@beto:x", "Beto <b>MX</b>", "MX")
ALICE = Member("@alice:x", "Alice", "US")


def minutes(**changes) -> MinutesData:
    data = MinutesData(
        assembly="Asamblea General",
        meeting_id=7,
        title=WrittenText(HOSTILE, "en", {"es": HOSTILE}),
        started_at=START,
        ended_at=START + timedelta(hours=1, minutes=30),
        zones=(("US", "America/New_York"), ("MX", "America/Mexico_City")),
        language_zones=(("en", "America/New_York"), ("es", "America/Mexico_City")),
        chairs=(CAROL,),
        attendance=(CAROL, ALICE, BETO),
        agenda=(
            Item(1, WrittenText("Budget", "en", {"es": "Presupuesto"}), 900, 1260, "done"),
            Item(2, WrittenText("Fiesta de mayo", "es", {"en": "May party"}), 600, None, "pending"),
        ),
        entries=(
            LogEntry(
                1,
                "agreed",
                WrittenText("we rent the hall", "en", {"es": "alquilamos el salón"}),
                CAROL,
                START + timedelta(minutes=20),
                item=WrittenText("Budget", "en", {"es": "Presupuesto"}),
            ),
            LogEntry(
                2,
                "action",
                WrittenText("llamar al salón | [x](javascript:alert(1))", "es"),
                CAROL,
                START + timedelta(minutes=25),
                owner=BETO,
                due=date(2025, 3, 17),
            ),
            LogEntry(3, "info", WrittenText("the hall seats 80", "en"), ALICE, START),
            LogEntry(4, "idea", WrittenText("una rifa", "es", {"en": "a raffle"}), BETO, START),
        ),
        polls=(
            PollSummary(
                id=3,
                question=WrittenText("Rent the hall?", "en", {"es": "¿Alquilar el salón?"}),
                kind="yes_no",
                rule="double_majority",
                denominator="votes_cast",
                answers=(("yes", None), ("no", None), ("abstain", None)),
                total=CenterCount(None, {"yes": 3, "no": 1, "abstain": 1}, 5, 4),
                by_center=(
                    CenterCount("US", {"yes": 2, "no": 0, "abstain": 1}, 3, 2),
                    CenterCount("MX", {"yes": 1, "no": 1}, 2, 2),
                ),
                closed=True,
                passed=False,
                failed_centers=("MX",),
                dissents=(Dissent("Beto", "MX", "<i>too expensive</i>", blocks=True),),
            ),
        ),
        turns=(
            SpokenTurn(CAROL.user_id, "US", "ordinary", 120),
            SpokenTurn(BETO.user_id, "MX", "ordinary", 60),
            SpokenTurn(BETO.user_id, "MX", "direct_response", 30),
        ),
        messages=(
            SaidMessage(
                ALICE.user_id,
                "Alice",
                "US",
                START,
                WrittenText("hello all", "en", {"es": "hola a todos"}),
            ),
            SaidMessage(BETO.user_id, BETO.name, "MX", START, WrittenText("buenas tardes", "es")),
        ),
        names={m.user_id: m.name for m in (CAROL, BETO, ALICE)},
        include_transcript=True,
    )
    return data.__class__(**{**data.__dict__, **changes})


@pytest.fixture(scope="module")
def renderer() -> MinutesRenderer:
    return MinutesRenderer(Catalogs.load_default())


def test_each_languages_minutes_tell_time_on_its_rooms_clock_and_name_the_zone(
    renderer: MinutesRenderer,
) -> None:
    """The agreement was recorded at 18:20 in New York, 16:20 in Mexico City; alice wrote at
    18:00, 16:00. Every time says whose clock it is on."""
    data = minutes(
        interpretations=(),
        messages=(replace(minutes().messages[0], at=START + timedelta(minutes=5)),),
    )
    english = renderer.markdown(data, ["en"])
    assert f"_(18:20 New York, {isolate('Carol')} (US))_" in english
    assert "| Time (New York) | Person |" in english and "| 18:05 |" in english
    spanish = renderer.markdown(data, ["es"])
    assert f"_(16:20 Ciudad de México, {isolate('Carol')} (US))_" in spanish
    assert f"_(16:25 Ciudad de México, {isolate('Carol')} (US))_" in spanish  # the action
    assert "| Hora (Ciudad de México) | Persona |" in spanish and "| 16:05 |" in spanish
    assert "18:20" not in spanish and "18:05" not in spanish
    # The header gives every center's clock, the reader's own first.
    assert "Inicio: lunes, 10 de marzo de 2025, 16:00 Ciudad de México / 18:00 Nueva York" in (
        spanish
    )
    # Side by side, each language keeps its own clock.
    page = renderer.html(data, ["en", "es"])
    assert "18:20 New York" in page and "16:20 Ciudad de México" in page


def test_speaking_statistics_per_person_and_per_center() -> None:
    data = minutes()
    stats = speaking_statistics(data.turns, data.messages, ("US", "MX", "CA"), data.names)
    by_center = {c.center: c for c in stats.centers}
    assert by_center["US"].turns == 1 and by_center["US"].seconds == 120
    assert by_center["MX"].turns == 2 and by_center["MX"].seconds == 90
    assert by_center["US"].speakers == 2  # carol spoke, alice wrote
    assert by_center["US"].share_of_time == pytest.approx(120 / 210)
    assert by_center["MX"].share_of_turns == pytest.approx(2 / 3)
    # A center that never spoke is still listed: the zero is what the assembly needs to see.
    assert by_center["CA"].turns == 0 and by_center["CA"].share_of_time == 0
    assert [p.name for p in stats.people][:2] == ["Carol", "Beto <b>MX</b>"]
    assert stats.people[-1].messages == 1 and stats.people[-1].word_count == 2


def test_english_markdown_has_every_part_of_the_meeting(renderer: MinutesRenderer) -> None:
    text = renderer.markdown(minutes(), ["en"])
    assert text.startswith("# \\<script>alert(1)\\</script>\n")  # text, not a tag
    assert "Started: Monday, March 10, 2025, 18:00 New York / 16:00 Mexico City" in text
    assert f"Chairs: {isolate('Carol')} (US)" in text
    assert f"| US | 2 | {isolate('Alice')}, {isolate('Carol')} |" in text
    assert "| 1 | Budget | 15 min | 21 min | done |" in text
    assert "May party _(machine translation; original: Fiesta de mayo)_" in text
    carol = isolate("Carol")
    assert f"we rent the hall _(18:20 New York, {carol} (US))_ _[item: Budget]_" in text
    # Polls: per-center counts, the rule applied and why it failed.
    assert "| Answer | US | MX | Total |" in text
    assert "| Yes | 2 | 1 | 3 |" in text and "| Votes cast | 2 | 2 | 4 |" in text
    assert "Rule: double majority (a majority in each center)" in text
    assert "**Not passed: the rule was not met in MX.**" in text
    assert f"Block by {isolate('Beto')} (MX): \\<i>too expensive\\</i>" in text
    # Actions by person, with due dates.
    beto = isolate(r"Beto \<b>MX\</b>")  # escaped, and isolated
    assert f"### {beto} (MX)\n" in text
    # No link: its closing bracket is escaped. A bar outside a table is only a bar.
    assert "- Due 2025-03-17: llamar al salón | [x\\](javascript:alert(1))" in text
    # Speaking statistics: the centers side by side, one measure a row; then each person.
    assert "| Center | US | MX |" in text
    assert "| Turns | 1 | 2 |" in text and "| Share of turns | 33% | 67% |" in text
    assert "| Speaking time | 2 min | 1 min 30 s |" in text
    assert "| Share of speaking time | 57% | 43% |" in text
    assert f"| {isolate('Carol')} | US | 1 | 2 min | 0 | 0 |" in text
    assert "| Hello all |" not in text and "| hello all |" in text
    assert not UNESCAPED_TAG.search(text)


def test_the_speaking_statistics_say_how_each_turn_was_timed(renderer: MinutesRenderer) -> None:
    turns = (
        SpokenTurn(CAROL.user_id, "US", "ordinary", 95, Measure.SAID_DONE),
        SpokenTurn(BETO.user_id, "MX", "ordinary", 50, Measure.LAST_MESSAGE),
        SpokenTurn(BETO.user_id, "MX", "direct_response", 120, Measure.TIME_LIMIT),
        SpokenTurn(CAROL.user_id, "US", "ordinary", 240, Measure.FLOOR_CLOSED),
        SpokenTurn(ALICE.user_id, "US", "ordinary", 30, Measure.SAID_DONE),
    )
    english = renderer.markdown(minutes(turns=turns), ["en"])
    section = english.split("## Speaking statistics")[1].split("\n## ")[0]
    assert "A turn ends when its speaker says they are done" in section
    assert "- The speaker said they were done: 2" in section
    assert "- Their last message in the rooms, plus 30 s: 1" in section
    assert "- The time limit: 1" in section
    assert "- The floor was closed (the next call, a chair, the end of the meeting): 1" in section
    assert "| Speaking time | 6 min 5 s | 2 min 50 s |" in section
    spanish = renderer.markdown(minutes(turns=turns), ["es"])
    section = spanish.split("## Estadísticas de participación")[1].split("\n## ")[0]
    assert "- Quien hablaba dijo que había terminado: 2" in section
    assert "- Su último mensaje en las salas, más 30 s: 1" in section
    # Turns counted before anyone kept how they ended are not listed as timed one way or another.
    untold = renderer.markdown(minutes(), ["en"])
    assert "The speaker said they were done" not in untold


def test_spanish_html_is_escaped_and_self_contained(renderer: MinutesRenderer) -> None:
    page = renderer.html(minutes(), ["es"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page and "<b>MX" not in page and "<i>too" not in page
    assert "Inicio: lunes, 10 de marzo de 2025, 16:00 Ciudad de México / 18:00 Nueva York" in page
    assert "alquilamos el salón <em>(traducción automática; original: we rent the hall)</em>" in (
        page
    )
    assert "Doble mayoría" not in page and "doble mayoría (mayoría en cada centro)" in page
    assert "Asistencia por centro" in page and "Estadísticas de participación" in page
    assert "<link" not in page and "src=" not in page  # nothing to fetch: prints offline
    assert_well_formed(page)


def test_side_by_side_html_puts_each_section_in_both_languages(
    renderer: MinutesRenderer,
) -> None:
    page = renderer.html(minutes(), ["en", "es"])
    sections = re.findall(r'<section class="row" id="(\w+)">', page)
    assert sections == [
        "attendance",
        "agenda",
        "agreed",
        "polls",
        "actions",
        "info",
        "ideas",
        "statistics",
        "equity",
        "transcript",
    ]
    agreed = page.split('id="agreed"')[1].split("</section>")[0]
    assert '<div lang="en">' in agreed and '<div lang="es">' in agreed
    assert "we rent the hall" in agreed and "alquilamos el salón" in agreed
    assert_well_formed(page)


def test_bilingual_markdown_is_the_english_minutes_then_the_spanish(
    renderer: MinutesRenderer,
) -> None:
    stamp = "2025-03-10 23:40 UTC"
    text = renderer.markdown(minutes(), ["en", "es"], generated=stamp)
    english, spanish = text.split("\n\n---\n\n**español**\n\n")
    # Each half is the whole minutes in its language, exactly as they are alone.
    assert english.startswith("**English**\n\n# ")
    alone = renderer.markdown(minutes(), ["en"], generated=stamp)
    assert english.removeprefix("**English**\n\n") + "\n" == alone
    assert spanish == renderer.markdown(minutes(), ["es"], generated=stamp)
    assert "## Agreements" in english and "## Acuerdos" in spanish
    assert "alquilamos el salón _(traducción automática; original: we rent the hall)_" in spanish
    assert not UNESCAPED_TAG.search(text)


def test_bilingual_markdown_has_real_tables_and_no_crammed_lines(
    renderer: MinutesRenderer,
) -> None:
    text = renderer.markdown(minutes(), ["en", "es"])
    assert " · " not in text
    tables = [line for line in text.splitlines() if line.startswith("|")]
    assert "| Center | People | Who |" in tables and "| Centro | Personas | Quiénes |" in tables
    assert "| Answer | US | MX | Total |" in tables and "| Sí | 2 | 1 | 3 |" in tables
    # Every row of a table has as many cells as its header.
    widths = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            widths.append(len(re.findall(r"(?<!\\)\|", line)))
        elif widths:
            assert len(set(widths)) == 1, widths
            widths = []


def test_a_meeting_with_nothing_recorded_says_so(renderer: MinutesRenderer) -> None:
    empty = minutes(
        agenda=(), entries=(), polls=(), turns=(), messages=(), ended_at=None, chairs=()
    )
    text = renderer.markdown(empty, ["es"])
    assert "La reunión sigue en curso." in text
    assert text.count("No se registró nada.") == 6
    assert "Moderación: nadie" in text
    assert "| Centro | US | MX |" in text
    assert "| Turnos | 0 | 0 |" in text and "| Proporción de turnos | — | — |" in text


def test_markdown_escaping_keeps_text_as_text() -> None:
    """A value the template places among its own characters: escaped on every side."""
    assert md_escape("a*b_c`d") == "a\\*b_c\\`d"  # snake_case opens no emphasis
    assert md_escape("line\nbreak | cell") == "line break \\| cell"
    assert md_escape("<img src=x onerror=alert(1)>") == "\\<img src=x onerror=alert(1)>"


class _Checker(HTMLParser):
    VOID = frozenset({"meta", "br", "hr", "img", "link", "input", "col"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        assert tag not in ("script", "iframe", "object", "img")
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (tag, self.open[-5:])
        self.open.pop()


def assert_well_formed(page: str) -> None:
    checker = _Checker()
    checker.feed(page)
    assert checker.open == []


def test_a_poll_short_of_its_quorum_reads_the_same_whatever_its_kind(
    renderer: MinutesRenderer,
) -> None:
    base = minutes().polls[0]
    yes_no = replace(base, rule="majority", quorum_met=False, passed=False, failed_centers=())
    choice = replace(
        base,
        id=4,
        kind="choice",
        rule=None,
        answers=(("1", WrittenText("Monday", "en")), ("2", WrittenText("Friday", "en"))),
        quorum_met=False,
        passed=None,
        winners=("1",),
    )
    abstained = replace(
        base,
        id=5,
        rule="majority",
        total=CenterCount(None, {"yes": 0, "no": 0, "abstain": 4}, 4, 0),
        passed=False,
        failed_centers=(),
    )
    data = minutes(polls=(yes_no, choice, abstained))
    english = renderer.markdown(data, ["en"])
    assert english.count("**No decision: the quorum was not met.**") == 2
    assert "Most votes" not in english
    assert "**Not passed.**" in english  # everyone abstained, with the quorum met
    spanish = renderer.markdown(data, ["es"])
    assert spanish.count("**Sin decisión: no hubo quórum.**") == 2
