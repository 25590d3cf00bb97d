"""The follow-through report as Markdown and as one self-contained HTML page, with its charts
drawn here as SVG: no script, no web font, nothing fetched from anywhere.

Like the minutes, the report is first worded in each language as a small document tree (the
minutes' own: sections of paragraphs, tables and charts, every label from the catalogs), then
laid out by a template that escapes every value. A chart is SVG written by `bar_chart`, every
text in it escaped; it scales with its container and never widens the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from babel.dates import format_date
from markupsafe import Markup

from bot.domain.messages import Msg
from bot.domain.report import CenterMonths, ReportData
from bot.i18n import Catalogs
from bot.render.minutes import (
    Block,
    Document,
    MarkdownSafe,
    Section,
    environment,
    heading,
    paragraph,
    plain,
    table,
)

# Paul Tol's colour-blind safe palette: made, done, overdue; decisions.
MADE, DONE, OVERDUE, DECIDED = "#4477aa", "#228833", "#ee6677", "#aa3377"
# The chart's drawing units (it scales to its container; these set its proportions).
BAR, GAP, SIDE, TOP, BOTTOM, HEIGHT = 14, 18, 44, 40, 34, 230


@dataclass(frozen=True)
class Series:
    label: str
    color: str
    values: tuple[int, ...]


def bar_chart(title: str, categories: Sequence[str], series: Sequence[Series]) -> Markup:
    """Grouped bars: one group per category (a month), one bar per series, a legend above,
    whole-number gridlines. Every text is escaped."""
    per_group = len(series) * BAR + GAP
    width = max(320, SIDE + len(categories) * per_group + GAP)
    top = max((v for s in series for v in s.values), default=0)
    ticks = _ticks(top)
    scale = (HEIGHT - TOP - BOTTOM) / ticks[-1]
    base = HEIGHT - BOTTOM
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
            'height="{h}" role="img" aria-label="{title}" class="chart" '
            'font-family="system-ui, sans-serif">'
        ).format(w=width, h=HEIGHT, title=title),
        Markup("<title>{}</title>").format(title),
        Markup('<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/>').format(width, HEIGHT),
    ]
    for tick in ticks:
        y = base - tick * scale
        parts.append(
            Markup(
                '<line x1="{x1}" y1="{y:.1f}" x2="{x2}" y2="{y:.1f}" stroke="#dddddd"/>'
                '<text x="{tx}" y="{ty:.1f}" font-size="10" text-anchor="end" '
                'fill="#555555">{tick}</text>'
            ).format(x1=SIDE, x2=width - 4, y=y, tx=SIDE - 4, ty=y + 3, tick=tick)
        )
    parts += _legend(series)
    for index, category in enumerate(categories):
        left = SIDE + GAP / 2 + index * per_group
        for number, one in enumerate(series):
            value = one.values[index]
            height = value * scale
            parts.append(
                Markup(
                    '<rect x="{x:.1f}" y="{y:.1f}" width="{bw}" height="{h:.1f}" fill="{c}">'
                    "<title>{label}: {value}</title></rect>"
                ).format(
                    x=left + number * BAR,
                    y=base - height,
                    bw=BAR - 2,
                    h=height,
                    c=one.color,
                    label=f"{category}, {one.label}",
                    value=value,
                )
            )
        parts.append(
            Markup(
                '<text x="{x:.1f}" y="{y}" font-size="10" text-anchor="middle" '
                'fill="#333333">{label}</text>'
            ).format(x=left + len(series) * BAR / 2, y=base + 14, label=category)
        )
    parts.append(
        Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#888888"/>').format(
            SIDE, base, width - 4, base
        )
    )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _legend(series: Sequence[Series]) -> list[Markup]:
    parts = []
    x = SIDE
    for one in series:
        parts.append(
            Markup(
                '<rect x="{x}" y="12" width="10" height="10" fill="{c}"/>'
                '<text x="{tx}" y="21" font-size="11" fill="#333333">{label}</text>'
            ).format(x=x, c=one.color, tx=x + 14, label=one.label)
        )
        x += 22 + 7 * len(one.label)
    return parts


def _ticks(top: int) -> list[int]:
    """Whole-number gridlines, at most five, from 0 to at least `top` (and at least 1)."""
    step = max(1, -(-max(top, 1) // 4))
    last = max(step, -(-max(top, 1) // step) * step)
    return list(range(0, last + 1, step))


@dataclass(frozen=True)
class Chart:
    """A chart in one language: its name (for a file of its own beside Markdown) and drawing."""

    key: str
    title: str
    svg: Markup


# -- wording the report in one language ----------------------------------------------------------


class ReportWriter:
    def __init__(self, catalogs: Catalogs, data: ReportData, language: str) -> None:
        self._catalogs = catalogs
        self.data = data
        self.language = language
        self.charts: list[Chart] = []

    def t(self, key: str, **values: Any) -> str:
        return self._catalogs.text(self.language, Msg(key, values))

    def month(self, month: Any) -> str:
        return format_date(month, "MMM y", locale=self.language)

    def document(self) -> Document:
        data = self.data
        sections = [
            self._summary(),
            *(self._center(center) for center in data.centers),
            self._decisions(),
        ]
        return Document(
            language=self.language,
            language_name=self.t(f"language.{self.language}"),
            title=plain(self.t("report.title", assembly=data.assembly)),
            intro=(
                plain(
                    self.t(
                        "report.period",
                        since=data.since.isoformat(),
                        until=data.until.isoformat(),
                    )
                ),
                plain(self.t("report.overdue_note")),
            ),
            sections=tuple(sections),
            footer=self.t("report.footer", assembly=data.assembly),
        )

    def _summary(self) -> Section:
        header = [
            self.t("report.col.center"),
            self.t("report.col.made"),
            self.t("report.col.done"),
            self.t("report.col.overdue"),
        ]
        rows = [
            (plain(c.center), *(plain(str(n)) for n in c.totals)) for c in self.data.centers
        ]
        return Section("summary", self.t("report.section.summary"), (table(header, rows),))

    def _center(self, center: CenterMonths) -> Section:
        months = [self.month(m.month) for m in center.months]
        series = [
            Series(self.t("report.col.made"), MADE, tuple(m.made for m in center.months)),
            Series(self.t("report.col.done"), DONE, tuple(m.done for m in center.months)),
            Series(self.t("report.col.overdue"), OVERDUE, tuple(m.overdue for m in center.months)),
        ]
        title = self.t("report.chart.commitments", center=center.center)
        chart = self._chart(f"commitments-{center.center}", title, months, series)
        header = [self.t("report.col.month"), *(s.label for s in series)]
        rows = [
            (plain(label), plain(str(m.made)), plain(str(m.done)), plain(str(m.overdue)))
            for label, m in zip(months, center.months, strict=True)
        ]
        blocks = (heading(plain(title)), chart, table(header, rows))
        heading_text = self.t("report.section.center", center=center.center)
        return Section(f"center-{center.center}", heading_text, blocks)

    def _decisions(self) -> Section:
        months = [self.month(month) for month, _ in self.data.decisions]
        counts = tuple(count for _, count in self.data.decisions)
        label = self.t("report.col.decisions")
        title = self.t("report.chart.decisions")
        chart = self._chart("decisions", title, months, [Series(label, DECIDED, counts)])
        header = [self.t("report.col.month"), label]
        rows = [
            (plain(month), plain(str(count)))
            for month, count in zip(months, counts, strict=True)
        ]
        note = paragraph(plain(self.t("report.decisions_note")))
        return Section(
            "decisions", self.t("report.section.decisions"), (note, chart, table(header, rows))
        )

    def _chart(
        self, key: str, title: str, months: Sequence[str], series: Sequence[Series]
    ) -> Block:
        chart = Chart(f"{key}-{self.language}", title, bar_chart(title, months, series))
        self.charts.append(chart)
        return Block("chart", lines=(plain(title),), chart=chart)


# -- laying the report out ----------------------------------------------------------------------


class ReportRenderer:
    def __init__(self, catalogs: Catalogs) -> None:
        self._catalogs = catalogs
        self._html = environment(autoescape=True)
        self._markdown = environment(autoescape=False)

    def writers(self, data: ReportData, languages: Sequence[str]) -> list[ReportWriter]:
        return [ReportWriter(self._catalogs, data, language) for language in languages]

    def html(self, data: ReportData, languages: Sequence[str]) -> str:
        docs = [writer.document() for writer in self.writers(data, languages)]
        template = self._html.get_template("report.html.j2")
        return template.render(docs=docs, generated=generated_stamp())

    def markdown(
        self, data: ReportData, languages: Sequence[str], chart_stem: str | None = None
    ) -> tuple[str, list[tuple[str, str]]]:
        """The Markdown report, and its charts as (file name, SVG) to write beside it; without
        `chart_stem` the charts are left out (the tables say the same)."""
        writers = self.writers(data, languages)
        docs = [writer.document() for writer in writers]
        charts = [chart for writer in writers for chart in writer.charts]
        files = {c.key: f"{chart_stem}-{c.key}.svg" for c in charts} if chart_stem else {}
        # A file name is a link: quoted, and printed as is (not Markdown-escaped).
        links = {key: MarkdownSafe(quote(name)) for key, name in files.items()}
        template = self._markdown.get_template("report.md.j2")
        text = template.render(docs=docs, files=links, generated=generated_stamp())
        return text, [(files[c.key], svg_file(c.svg)) for c in charts if c.key in files]


def svg_file(svg: Markup) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + str(svg) + "\n"


def generated_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")

