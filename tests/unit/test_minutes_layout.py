"""How the bilingual minutes look: a document to read in Markdown, a page that fits the screen
and the paper in HTML.

The meeting is a long, real one: a long title, a long URL and an unbroken long word in what
people wrote, a dozen agenda items, several polls and a transcript.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.commitments import Commitment, Status, follow_up
from bot.domain.minutes import AgendaEntry as Item
from bot.domain.minutes import (
    Approval,
    CenterCount,
    Correction,
    Dissent,
    LogEntry,
    Member,
    MinutesData,
    PollSummary,
    SaidMessage,
    SpokenTurn,
    WrittenText,
)
from bot.i18n import Catalogs
from bot.render.minutes import MinutesRenderer, md_escape

START = datetime(2025, 6, 14, 22, 0, tzinfo=UTC)
URL = (
    "https://docs.example.org/asamblea/2025/presupuesto-participativo/anexos/"
    "propuesta-final-revisada-por-ambos-centros-version-definitiva.pdf?descarga=1&idioma=es"
)
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherung" * 2
ANA = Member("@ana:x", "Ana Lucía Fernández-Whitaker", "US")
CAROL = Member("@carol:x", "Carol", "US")
BETO = Member("@beto:x", "Beto Hernández Villaseñor", "MX")
DORA = Member("@dora:x", "Dora", "MX")


def said(text: str, language: str, translation: str) -> WrittenText:
    other = "es" if language == "en" else "en"
    return WrittenText(text, language, {other: translation})


def realistic_meeting() -> MinutesData:
    topics = [
        ("Budget for the second half of the year", "Presupuesto del segundo semestre"),
        ("Translation volunteers", "Voluntariado de traducción"),
        ("Shared calendar", "Calendario compartido"),
        ("Solidarity fund", "Fondo de solidaridad"),
        ("Meeting times across the border", "Horarios de reunión a ambos lados"),
        ("Bylaws: article 12", "Estatutos: artículo 12"),
        ("Regional gathering in Oaxaca", "Encuentro regional en Oaxaca"),
        ("Newsletter", "Boletín"),
        ("Training for facilitators", "Formación de facilitadoras"),
        (LONG_WORD, LONG_WORD),
        ("Document: " + URL, "Documento: " + URL),
        ("Any other business", "Asuntos generales"),
    ]
    agenda = tuple(
        Item(
            n,
            said(en, "en", es),
            600,
            540 + 60 * n if n < 9 else None,
            "done" if n < 9 else "pending",
        )
        for n, (en, es) in enumerate(topics, start=1)
    )
    entries = (
        LogEntry(
            1,
            "agreed",
            said(
                "We adopt the budget as proposed in " + URL,
                "en",
                "Adoptamos el presupuesto tal como se propuso en " + URL,
            ),
            ANA,
            START + timedelta(minutes=20),
            item=agenda[0].title,
        ),
        LogEntry(
            2,
            "action",
            said(
                "enviar el acta a ambos centros y a " + LONG_WORD,
                "es",
                "send the minutes to both centers and to " + LONG_WORD,
            ),
            BETO,
            START + timedelta(minutes=30),
            owner=DORA,
            due=date(2025, 6, 21),
        ),
        LogEntry(
            3,
            "info",
            said("The hall seats 80 people", "en", "El salón tiene 80 lugares"),
            CAROL,
            START + timedelta(minutes=40),
        ),
        LogEntry(
            4,
            "idea",
            said("una rifa para el fondo", "es", "a raffle for the fund"),
            DORA,
            START + timedelta(minutes=50),
        ),
    )
    polls = (
        PollSummary(
            id=1,
            question=said(
                "Do we adopt the budget for the second half of the year?",
                "en",
                "¿Adoptamos el presupuesto del segundo semestre?",
            ),
            kind="yes_no",
            rule="double_majority",
            denominator="votes_cast",
            answers=(("yes", None), ("no", None), ("abstain", None)),
            total=CenterCount(None, {"yes": 3, "no": 1, "abstain": 0}, 4, 4),
            by_center=(
                CenterCount("US", {"yes": 2, "no": 0, "abstain": 0}, 2, 2),
                CenterCount("MX", {"yes": 1, "no": 1, "abstain": 0}, 2, 2),
            ),
            closed=True,
            passed=False,
            failed_centers=("MX",),
        ),
        PollSummary(
            id=2,
            question=said(
                "Where should the regional gathering be held?",
                "en",
                "¿Dónde hacemos el encuentro regional?",
            ),
            kind="choice",
            rule=None,
            denominator="votes_cast",
            answers=(
                ("1", said("Oaxaca", "es", "Oaxaca")),
                ("2", said("Tucson, Arizona", "en", "Tucson, Arizona")),
                ("3", said(URL, "en", URL)),
            ),
            total=CenterCount(None, {"1": 2, "2": 2, "3": 0}, 4, 4),
            by_center=(
                CenterCount("US", {"1": 0, "2": 2, "3": 0}, 2, 2),
                CenterCount("MX", {"1": 2, "2": 0, "3": 0}, 2, 2),
            ),
            closed=True,
            passed=None,
            winners=("1", "2"),
        ),
        PollSummary(
            id=3,
            question=said("We join the federation", "en", "Nos unimos a la federación"),
            kind="consensus",
            rule="consensus",
            denominator="not_applicable",
            answers=(("agree", None), ("stand_aside", None), ("block", None)),
            total=CenterCount(None, {"agree": 3, "stand_aside": 1, "block": 0}, 4, 4),
            by_center=(
                CenterCount("US", {"agree": 2, "stand_aside": 0, "block": 0}, 2, 2),
                CenterCount("MX", {"agree": 1, "stand_aside": 1, "block": 0}, 2, 2),
            ),
            closed=True,
            passed=True,
            dissents=(Dissent("Dora", "MX", "falta traducir " + LONG_WORD, blocks=False),),
        ),
    )
    people = (ANA, CAROL, BETO, DORA)
    commitments = [
        Commitment(
            id=n,
            assembly="A",
            number=n,
            decision_id=n,
            meeting_id=41,
            text=f"a task with a long word {LONG_WORD}",
            language="en",
            owner=who.user_id,
            owner_name=who.name,
            owner_center=who.center,
            due=date(2025, 6, 1 + n),
            status=status,
            made_at=0,
            closed_at=int(START.timestamp() * 1000) if status is not Status.OPEN else None,
            note="the hall closed " + URL if status is Status.DROPPED else None,
        )
        for n, who, status in (
            (1, ANA, Status.DONE),
            (2, BETO, Status.OPEN),
            (3, DORA, Status.DROPPED),
            (4, CAROL, Status.OPEN),
        )
    ]
    lines = [
        (
            ANA,
            "Welcome everyone, the budget draft is at " + URL,
            "en",
            "Bienvenidas todas, el borrador del presupuesto está en " + URL,
        ),
        (
            BETO,
            "Gracias. ¿Podemos revisar el punto del " + LONG_WORD + "?",
            "es",
            "Thanks. Can we review the point about the " + LONG_WORD + "?",
        ),
        (
            CAROL,
            "Sure. " + "This is a long message that goes on and on. " * 12,
            "en",
            "Claro. " + "Este es un mensaje largo que sigue y sigue. " * 12,
        ),
        (DORA, "De acuerdo.", "es", "Agreed."),
    ]
    messages = tuple(
        SaidMessage(
            p.user_id, p.name, p.center, START + timedelta(minutes=5 * i), said(text, lang, other)
        )
        for i, (p, text, lang, other) in enumerate(lines * 3)
    )
    return MinutesData(
        assembly="Asamblea Binacional de Cooperativas de Vivienda",
        meeting_id=42,
        title=said(
            "Extraordinary binational assembly on the participatory budget, the solidarity "
            "fund and the regional gathering " + LONG_WORD,
            "en",
            "Asamblea binacional extraordinaria sobre el presupuesto participativo, el fondo "
            "de solidaridad y el encuentro regional " + LONG_WORD,
        ),
        started_at=START,
        ended_at=START + timedelta(hours=2, minutes=15),
        zones=(("US", "America/New_York"), ("MX", "America/Mexico_City")),
        chairs=(ANA, BETO),
        attendance=people,
        agenda=agenda,
        entries=entries,
        polls=polls,
        turns=tuple(SpokenTurn(p.user_id, p.center, "ordinary", 90) for p in people * 2),
        messages=messages,
        names={p.user_id: p.name for p in people},
        include_transcript=True,
        approval=Approval(START + timedelta(days=30), 43),
        corrections=(
            Correction(
                said("Dora was present too; " + URL, "en", "Dora también estuvo; " + URL),
                ANA,
                START + timedelta(days=30),
                43,
            ),
        ),
        follow_up=follow_up(
            commitments,
            0,
            int((START + timedelta(hours=3)).timestamp() * 1000),
            ["US", "MX"],
            lambda center: "America/Mexico_City",
        ),
        commitment_texts={c.id: said(c.text, "en", "una tarea " + LONG_WORD) for c in commitments},
    )


@pytest.fixture(scope="module")
def renderer() -> MinutesRenderer:
    return MinutesRenderer(Catalogs.load_default())


# -- Markdown: a document, one language after the other -----------------------------------------


def test_bilingual_markdown_reads_as_two_documents(renderer: MinutesRenderer) -> None:
    text = renderer.markdown(realistic_meeting(), ["en", "es"])
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    english = ["## Corrections", "## Attendance by center", "## Agenda", "## Agreements"]
    spanish = ["## Correcciones", "## Asistencia por centro", "## Orden del día", "## Acuerdos"]
    assert headings[:4] == english and headings[12:16] == spanish
    assert len(headings) == 24  # twelve sections, in English, then in Spanish
    assert "## Follow-up of commitments" in headings and "## Seguimiento de compromisos" in headings
    assert text.count("\n# ") == 2 and text.startswith("**English**\n\n# Extraordinary")
    assert "\n**español**\n\n# Asamblea binacional" in text
    assert "### #2 Where should the regional gathering be held?" in text
    assert " · " not in text


def test_a_long_url_stays_whole_in_markdown(renderer: MinutesRenderer) -> None:
    text = renderer.markdown(realistic_meeting(), ["en", "es"])
    assert md_escape(URL) in text  # escaped, never cut: the reader can follow it


# -- HTML: a page that fits the screen and the paper --------------------------------------------


def test_bilingual_html_wraps_long_words_and_fixes_its_tables(renderer: MinutesRenderer) -> None:
    page = renderer.html(realistic_meeting(), ["en", "es"])
    style = page.split("<style>")[1].split("</style>")[0]
    assert "overflow-wrap: anywhere" in style
    assert re.search(r"table \{[^}]*table-layout: fixed;[^}]*width: 100%", style)
    assert "box-sizing: border-box" in style
    # Every table says how wide each column is, and the widths make the whole table.
    tables = page.split("<table>")[1:]
    # attendance, agenda, three polls, follow-up, two of statistics, transcript
    assert len(tables) == 2 * 9
    for table in tables:
        header = table.split("</thead>")[0]
        widths = [float(w) for w in re.findall(r'<col style="width: ([\d.]+)%">', header)]
        assert len(widths) == header.count("<th>")
        assert sum(widths) == pytest.approx(100, abs=0.1)


def test_bilingual_html_is_side_by_side_only_on_a_wide_screen(renderer: MinutesRenderer) -> None:
    page = renderer.html(realistic_meeting(), ["en", "es"])
    style = page.split("<style>")[1].split("</style>")[0]
    wide = re.search(
        r"@media screen and \(min-width: (\d+)rem\) \{\s*\.row \{ display: grid;", style
    )
    assert wide is not None and int(wide.group(1)) * 16 <= 1200
    assert "@media not screen and (min-width: " in style  # narrow screens and paper: stacked
    assert "display: grid" not in style.split("@media")[0]


def test_html_minutes_print_on_a4_and_letter(renderer: MinutesRenderer) -> None:
    for languages in (["en", "es"], ["es"]):
        page = renderer.html(realistic_meeting(), languages)
        style = page.split("<style>")[1].split("</style>")[0]
        # A margin and no paper size: the printer's own A4 or Letter sheet is used.
        page_rule = re.search(r"@page \{([^}]*)\}", style)
        assert page_rule is not None and "margin" in page_rule.group(1)
        assert "size:" not in page_rule.group(1)
        printing = style.split("@media print")[1]
        assert (
            "max-width: none" in printing and "thead { display: table-header-group; }" in printing
        )
        assert "break-inside: avoid" in printing


def test_one_language_html_has_no_columns(renderer: MinutesRenderer) -> None:
    page = renderer.html(realistic_meeting(), ["es"])
    assert "display: grid" not in page and 'class="lang"' not in page


# -- in a browser -------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install chromium); "
    "the bilingual minutes' layout is not checked in a browser",
)
# Written into the test copy of the page only: the real minutes carry no script.
PROBE = (
    "<script>window.addEventListener('load', () => document.body.setAttribute("
    "'data-measured', document.documentElement.scrollWidth + ' ' + window.innerWidth));"
    "</script>"
)


def laid_out_width(page: str, width: int, folder: Path) -> tuple[int, int]:
    """(the page's scroll width, the window's width) as headless Chromium lays the page out."""
    copy = folder / f"minutes-{width}.html"
    copy.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    assert CHROMIUM is not None
    finished = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={folder / 'profile'}",
            f"--window-size={width},900",
            "--run-all-compositor-stages-before-draw",
            "--virtual-time-budget=2000",
            "--dump-dom",
            copy.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    measured = re.search(r'data-measured="(\d+) (\d+)"', finished.stdout)
    assert measured, f"chromium measured nothing: {finished.stderr[-2000:]}"
    return int(measured.group(1)), int(measured.group(2))


@needs_chromium
@pytest.mark.parametrize(
    "width",
    [
        1200,  # a laptop: the two languages side by side
        680,  # the width of A4 (and, with room to spare, Letter) inside the print margins
    ],
)
def test_bilingual_html_minutes_fit_the_page_without_scrolling_sideways(
    renderer: MinutesRenderer, tmp_path: Path, width: int
) -> None:
    page = renderer.html(realistic_meeting(), ["en", "es"])
    scroll_width, window_width = laid_out_width(page, width, tmp_path)
    assert window_width == width
    assert scroll_width <= width
