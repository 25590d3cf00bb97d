"""Minutes as Markdown and as a self-contained, printable HTML page, in one language or two.

Two steps. First `MinutesWriter` words a `MinutesData` in one language as a small document tree
(sections of paragraphs, lists and tables, every label from the catalogs). Then Jinja2 templates
lay the tree out: the HTML environment escapes every value (autoescape), and the Markdown one
escapes in every value it prints what Markdown would read as markup there (`bot.render.markdown`),
so a hostile title or name stays text in both, and the Markdown still reads as plain text.
With two languages the HTML page puts them side by side, section by section, on a wide screen,
and one after the other (each section in English, then in Spanish) on a narrow one and on paper;
Markdown, which has no columns, gives the whole minutes in the first language, then in the next.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from babel.numbers import format_percent
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from bot.domain.durations import duration_message
from bot.domain.messages import Msg, Name
from bot.domain.minutes import (
    AGREED,
    IDEA,
    INFO,
    CenterStats,
    Interpretation,
    LogEntry,
    Member,
    MinutesData,
    PollSummary,
    SaidMessage,
    WrittenText,
    turns_by_measure,
)
from bot.domain.names import FSI, PDI, isolate
from bot.domain.polls import listed
from bot.domain.schedule import format_clock, format_day, format_in_zones, zone_label
from bot.domain.speaking_time import GRACE_SECONDS
from bot.domain.tally import PER_CENTER_RULES
from bot.i18n import Catalogs
from bot.render.markdown import Piece, escape_lines, escape_value, styled

# -- the document tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    text: str
    style: str = ""  # "", "strong" or "em"


Line = tuple[Span, ...]


@dataclass(frozen=True)
class Block:
    kind: str  # "h3", "p", "ul", "table" or "chart"
    lines: tuple[Line, ...] = ()  # a heading's or paragraph's one line, or a list's items
    header: tuple[str, ...] = ()
    rows: tuple[tuple[Line, ...], ...] = ()
    widths: tuple[int, ...] = ()  # a table's column widths, relative to each other
    chart: Any = None  # a chart's drawing (bot.render.report.Chart), for the report

    def column_percents(self) -> list[float]:
        """Each column's share of the table's width: the HTML table has a fixed layout, so a
        long word or URL wraps inside its cell instead of widening the page."""
        weights = self.widths or (1,) * len(self.header)
        total = sum(weights)
        return [round(100 * weight / total, 2) for weight in weights]


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    language: str
    language_name: str
    title: Line
    intro: tuple[Line, ...]
    sections: tuple[Section, ...]
    footer: str


def plain(text: str) -> Line:
    return (Span(text),)


def heading(line: Line) -> Block:
    """A heading inside a section: one poll, one person's action items."""
    return Block("h3", lines=(line,))


def paragraph(line: Line) -> Block:
    return Block("p", lines=(line,))


def bullets(lines: Sequence[Line]) -> Block:
    return Block("ul", lines=tuple(lines))


def table(
    header: Sequence[str], rows: Sequence[Sequence[Line]], widths: Sequence[int] = ()
) -> Block:
    if widths and len(widths) != len(header):
        raise ValueError("one width per column")
    return Block(
        "table",
        header=tuple(header),
        rows=tuple(tuple(row) for row in rows),
        widths=tuple(widths),
    )


# -- wording the minutes in one language ---------------------------------------------------------


class MinutesWriter:
    def __init__(self, catalogs: Catalogs, data: MinutesData, language: str) -> None:
        self._catalogs = catalogs
        self.data = data
        self.language = language

    def t(self, key: str, **values: Any) -> str:
        return self._catalogs.text(self.language, Msg(key, values))

    def document(self) -> Document:
        data = self.data
        sections = [
            self._attendance(),
            self._agenda(),
            self._entries("agreed", AGREED),
            self._polls(),
            self._actions(),
            self._entries("info", INFO),
            self._entries("ideas", IDEA),
            self._statistics(),
            self._equity(),
        ]
        if data.follow_up is not None:
            sections.insert(5, self._follow_up())
        if data.corrections:
            sections.insert(0, self._corrections())
        if data.include_transcript:
            sections.append(self._transcript())
        return Document(
            language=self.language,
            language_name=self.t(f"language.{self.language}"),
            title=self.written(data.title),
            intro=tuple(self._intro()),
            sections=tuple(sections),
            footer=self.t("minutes.footer", assembly=data.assembly, meeting=data.meeting_id),
        )

    # -- pieces -------------------------------------------------------------------------------

    def written(self, text: WrittenText, style: str = "") -> Line:
        """Person-written text in this language; a machine translation says so and keeps the
        original beside it."""
        if text.worded is not None:
            return (Span(self._catalogs.text(self.language, text.worded), style),)
        shown, translated = text.shown_in(self.language)
        if not translated:
            return (Span(shown, style),)
        interpreter = text.interpreter_in(self.language)
        if interpreter:
            note = self.t("minutes.interpreted", name=Name(interpreter), original=text.text)
        else:
            note = self.t("minutes.machine_translation", original=text.text)
        return (Span(shown, style), Span(" "), Span(note, "em"))

    def shown(self, text: WrittenText) -> str:
        """The words alone, in this language (the bot's own, or as the reader is shown them)."""
        if text.worded is not None:
            return self._catalogs.text(self.language, text.worded)
        return text.shown_in(self.language)[0]

    def member(self, member: Member) -> str:
        if not member.center:
            return isolate(member.name)
        return self.t("minutes.member", name=Name(member.name), center=member.center)

    @property
    def zone(self) -> str:
        """The zone of the room that reads the minutes in this language."""
        return self.data.zone_for(self.language)

    def when(self, moment: datetime) -> str:
        """The day and the time in every center's zone, this language's room's first."""
        zones = self.data.zones_for(self.language)
        return self.t(
            "minutes.when",
            day=format_day(moment, zones[0], self.language),
            times=format_in_zones(moment, zones, self.language),
        )

    def clock(self, moment: datetime) -> str:
        """A time of day with its zone, as the header gives them: "18:20 New York"."""
        return format_in_zones(moment, [self.zone], self.language)

    def duration(self, seconds: float | None) -> str:
        if seconds is None:
            return "—"
        return self._catalogs.text(self.language, duration_message(seconds))

    def percent(self, share: float | None) -> str:
        return "—" if share is None else format_percent(share, locale=self.language)

    def _intro(self) -> list[Line]:
        data = self.data
        lines = [plain(self.t("minutes.assembly", assembly=data.assembly, meeting=data.meeting_id))]
        lines.append(plain(self.t("minutes.started", when=self.when(data.started_at))))
        if data.ended_at:
            lines.append(plain(self.t("minutes.ended", when=self.when(data.ended_at))))
        else:
            lines.append(plain(self.t("minutes.in_progress")))
        chairs = ", ".join(self.member(c) for c in data.chairs) or self.t("minutes.nobody")
        lines.append(plain(self.t("minutes.chairs", chairs=chairs)))
        lines.append((Span(self._status(), "strong"),))
        return lines

    def _status(self) -> str:
        """Draft, or approved by a later meeting (Robert's Rules: minutes are the assembly's
        once it approves them)."""
        approval = self.data.approval
        if approval is None:
            return self.t("minutes.status_draft")
        zone = self.data.zones[0][1] if self.data.zones else "UTC"
        return self.t(
            "minutes.status_approved",
            day=format_day(approval.approved_at, zone, self.language),
            meeting=approval.approved_in,
        )

    def _corrections(self) -> Section:
        lines = []
        for correction in self.data.corrections:
            byline = self.t(
                "minutes.correction_by",
                author=self.member(correction.author),
                day=format_day(
                    correction.at,
                    self.data.zones[0][1] if self.data.zones else "UTC",
                    self.language,
                ),
            )
            lines.append((*self.written(correction.text), Span(" "), Span(byline, "em")))
        note = paragraph(plain(self.t("minutes.corrections_note")))
        return self._section("corrections", [note, bullets(lines)])

    def _follow_up(self) -> Section:
        """Per center, what became of the commitments since the previous meeting: the table
        to compare the centers at a glance, then each commitment under its center."""
        summary = self.data.follow_up
        assert summary is not None
        header = [
            self.t("minutes.col.center"),
            self.t("minutes.col.done"),
            self.t("minutes.col.dropped"),
            self.t("minutes.col.open"),
            self.t("minutes.col.overdue"),
        ]
        rows = [
            (
                plain(row.center),
                *(plain(str(len(part))) for part in (row.done, row.dropped, row.open, row.overdue)),
            )
            for row in summary.centers
        ]
        blocks = [paragraph(plain(self.t("minutes.follow_up_note"))), table(header, rows)]
        for row in summary.centers:
            lines = [
                self._commitment_line(commitment, kind)
                for kind, part in (
                    ("overdue", row.overdue),
                    ("done", row.done),
                    ("dropped", row.dropped),
                    ("open", row.open),
                )
                for commitment in part
            ]
            if lines:
                blocks += [heading(plain(row.center)), bullets(lines)]
        return self._section("follow_up", blocks)

    def _commitment_line(self, commitment: Any, kind: str) -> Line:
        text = self.data.commitment_texts.get(commitment.id) or WrittenText(
            commitment.text, commitment.language
        )
        owner = self.t("minutes.member", name=commitment.owner_name, center=commitment.owner_center)
        state = self.t(
            f"minutes.commitment.{kind}",
            due=commitment.due.isoformat() if commitment.due else "—",
            note=commitment.note or "",
        )
        return (
            Span(commitment.label, "strong"),
            Span(f" {owner}: "),
            *self.written(text),
            Span(" "),
            Span(state, "em"),
        )

    def _attendance(self) -> Section:
        rows = []
        for center, members in self.data.attendance_by_center():
            names = ", ".join(isolate(m.name) for m in members) or self.t("minutes.nobody")
            rows.append((plain(center), plain(str(len(members))), plain(names)))
        header = [
            self.t("minutes.col.center"),
            self.t("minutes.col.count"),
            self.t("minutes.col.people"),
        ]
        return self._section("attendance", [table(header, rows, (20, 16, 64))])

    def _agenda(self) -> Section:
        rows = [
            (
                plain(str(item.position)),
                self.written(item.title),
                plain(self.duration(item.planned_seconds)),
                plain(self.duration(item.actual_seconds)),
                plain(self.t(f"minutes.status.{item.status}")),
            )
            for item in self.data.agenda
        ]
        header = [
            "#",
            self.t("minutes.col.item"),
            self.t("minutes.col.planned"),
            self.t("minutes.col.actual"),
            self.t("minutes.col.status"),
        ]
        return self._section("agenda", [table(header, rows, (7, 39, 19, 19, 16))] if rows else [])

    def _entry_line(self, entry: LogEntry) -> Line:
        byline = self.t(
            "minutes.entry_by", time=self.clock(entry.at), author=self.member(entry.author)
        )
        line: list[Span] = [*self.written(entry.text), Span(" "), Span(byline, "em")]
        if entry.number is not None:
            line[:0] = [Span(f"#{entry.number}", "strong"), Span(" ")]
        if entry.item is not None:
            item = self.shown(entry.item)
            line.extend((Span(" "), Span(self.t("minutes.entry_item", item=item), "em")))
        return tuple(line)

    def _entries(self, key: str, kind: str) -> Section:
        lines = [self._entry_line(e) for e in self.data.entries_of(kind)]
        return self._section(key, [bullets(lines)] if lines else [])

    def _actions(self) -> Section:
        blocks = []
        for owner, entries in self.data.actions_by_owner():
            who = self.member(owner) if owner else self.t("minutes.nobody")
            blocks.append(heading(plain(who)))
            items = []
            for entry in entries:
                line = list(self._entry_line(entry))
                if entry.due:
                    at = 2 if entry.number is not None else 0  # after the number
                    line.insert(at, Span(self.t("minutes.due", date=entry.due.isoformat()) + " "))
                items.append(tuple(line))
            blocks.append(bullets(items))
        return self._section("actions", blocks)

    def _polls(self) -> Section:
        blocks: list[Block] = []
        for poll in self.data.polls:
            blocks.extend(self._poll(poll))
        return self._section("polls", blocks)

    def _poll(self, poll: PollSummary) -> list[Block]:
        title = (Span(f"{poll.label} "), *self.written(poll.question))
        rule = self.t(f"minutes.rule.{poll.rule or 'plurality'}")
        rule_line = self.t(
            "minutes.rule_line",
            rule=rule,
            denominator=self.t(f"minutes.denominator.{poll.denominator}"),
        )
        # A secret poll's withheld centers have no column: only the total speaks for them.
        shown = [c for c in poll.by_center if c.center not in poll.withheld]
        centers = [c.center or "" for c in shown]
        header = [self.t("minutes.col.answer"), *centers, self.t("minutes.col.total")]
        rows = []
        for answer_id, option in poll.answers:
            label = self.written(option) if option else plain(self.t(f"minutes.answer.{answer_id}"))
            counts = [str(c.counts.get(answer_id, 0)) for c in (*shown, poll.total)]
            rows.append((label, *(plain(n) for n in counts)))
        cast = [str(c.votes_cast) for c in (*shown, poll.total)]
        rows.append((plain(self.t("minutes.votes_cast")), *(plain(n) for n in cast)))
        blocks = [heading(title), paragraph(plain(rule_line))]
        if poll.closed:  # a running count could sway the votes still to come
            blocks.append(table(header, rows, (2, *(1 for _ in centers), 1)))
            if poll.withheld:
                withheld = self.t(
                    "minutes.poll_withheld",
                    centers=", ".join(poll.withheld),
                    floor=poll.secret_floor,
                )
                blocks.append(paragraph(plain(withheld)))
        blocks.append(paragraph((Span(self._poll_outcome(poll), "strong"),)))
        if poll.dissents:
            blocks.append(bullets([plain(self._dissent(d, poll)) for d in poll.dissents]))
        return blocks

    def _poll_outcome(self, poll: PollSummary) -> str:
        if not poll.closed:
            return self.t("minutes.poll_open")
        if not poll.quorum_met:
            return self.t("minutes.poll_no_quorum")
        if poll.passed is None:
            labels = dict(poll.answers)
            names = []
            for answer in poll.winners:
                option = labels.get(answer)
                names.append(
                    option.shown_in(self.language)[0]
                    if option
                    else self.t(f"minutes.answer.{answer}")
                )
            if len(names) > 1:  # every tied option, none preferred
                quoted = [self.t("minutes.quoted", text=name) for name in names]
                return self.t("minutes.poll_tie", winners=listed(quoted))
            return self.t("minutes.poll_winner", winners=", ".join(names) or "—")
        if poll.passed:
            return self.t("minutes.poll_passed")
        failed_in = [c for c in poll.failed_centers if c not in poll.withheld]
        if failed_in:
            outcome = self.t("minutes.poll_failed_in", centers=", ".join(failed_in))
        else:
            outcome = self.t("minutes.poll_failed")
        if poll.withheld and poll.rule in PER_CENTER_RULES:
            # Said whether or not a withheld center fell short, so that saying it tells nothing.
            outcome += " " + self.t("minutes.poll_threshold_withheld")
        return outcome

    def _dissent(self, dissent: Any, poll: PollSummary) -> str:
        key = "minutes.block" if dissent.blocks else "minutes.stand_aside"
        who = Name(dissent.name) if dissent.name else self.t("minutes.anonymous")
        hidden = dissent.name is None and dissent.center in poll.withheld
        return self.t(
            key,
            name=who,
            center=self.t("minutes.center_withheld") if hidden else dissent.center,
            reason=dissent.reason or self.t("minutes.no_reason"),
        )

    def _statistics(self) -> Section:
        stats = self.data.statistics()
        grace = self.duration(GRACE_SECONDS)
        blocks = [
            paragraph(plain(self.t("minutes.statistics_note", grace=grace))),
            self._center_statistics(stats.centers),
        ]
        measures = turns_by_measure(self.data.turns)
        if measures:
            blocks.append(paragraph(plain(self.t("minutes.measures"))))
            ended = [
                plain(self.t(f"minutes.measure.{measure}", count=count, grace=grace))
                for measure, count in measures
            ]
            blocks.append(bullets(ended))
        person_rows = [
            (
                plain(isolate(p.name)),
                plain(p.center),
                plain(str(p.turns)),
                plain(self.duration(p.seconds)),
                plain(str(p.messages)),
                plain(str(p.word_count)),
            )
            for p in stats.people
        ]
        person_header = [
            self.t("minutes.col.person"),
            self.t("minutes.col.center"),
            self.t("minutes.col.turns"),
            self.t("minutes.col.time"),
            self.t("minutes.col.messages"),
            self.t("minutes.col.words"),
        ]
        if person_rows:
            blocks.append(table(person_header, person_rows, (24, 13, 13, 18, 17, 15)))
        return self._section("statistics", blocks)

    def _center_statistics(self, centers: Sequence[CenterStats]) -> Block:
        """One column per center, one row per measure: the centers side by side, compared at a
        glance, and a table as narrow as the number of centers."""
        measures: list[tuple[str, Callable[[CenterStats], str]]] = [
            (self.t("minutes.col.speakers"), lambda c: str(c.speakers)),
            (self.t("minutes.col.turns"), lambda c: str(c.turns)),
            (self.t("minutes.row.share_of_turns"), lambda c: self.percent(c.share_of_turns)),
            (self.t("minutes.col.time"), lambda c: self.duration(c.seconds)),
            (self.t("minutes.row.share_of_time"), lambda c: self.percent(c.share_of_time)),
            (self.t("minutes.col.messages"), lambda c: str(c.messages)),
            (self.t("minutes.col.words"), lambda c: str(c.word_count)),
        ]
        rows = [(plain(label), *(plain(value(c)) for c in centers)) for label, value in measures]
        header = [self.t("minutes.col.center"), *(c.center for c in centers)]
        return table(header, rows, (2, *(1 for _ in centers)))

    def _equity(self) -> Section:
        """Did each center's words reach the other room in its language, and who carried them."""
        equity = self.data.equity()
        rows = [
            (
                plain(self.t("minutes.direction", source=d.source, target=d.target)),
                plain(str(d.messages)),
                plain(str(d.machine)),
                plain(str(d.interpreted)),
                plain(str(d.memory)),
                plain(str(d.untranslated)),
            )
            for d in equity.directions
        ]
        header = [
            self.t("minutes.col.direction"),
            self.t("minutes.col.messages"),
            self.t("minutes.col.machine"),
            self.t("minutes.col.interpreted"),
            self.t("minutes.col.memory"),
            self.t("minutes.col.untranslated"),
        ]
        reach = [
            plain(
                self.t(
                    "minutes.reach",
                    center=c.center,
                    share=self.percent(c.share),
                    reached=c.reached_words,
                    words=c.words,
                )
                if c.words
                else self.t("minutes.reach_nothing", center=c.center)
            )
            for c in equity.centers
        ]
        blocks = [paragraph(plain(self.t("minutes.equity_note")))]
        if rows:
            blocks.append(table(header, rows, (20, 16, 16, 16, 16, 16)))
        if equity.nothing_translated:
            blocks.append(paragraph(plain(self.t("minutes.nothing_translated"))))
        blocks.append(bullets(reach))
        return self._section("equity", blocks)

    def _transcript(self) -> Section:
        """Each message with what interpreters on duty said about it right below; what they
        said about nothing in particular in its place in time."""
        said_here = {m.event_id for m in self.data.messages}
        entries: list[tuple[datetime, list[tuple[Line, ...]]]] = [
            (
                message.at,
                [
                    self._message_row(message),
                    *map(self._interpretation_row, self.data.interpretations_of(message.event_id)),
                ],
            )
            for message in self.data.messages
        ]
        entries += [
            (i.at, [self._interpretation_row(i)])
            for i in self.data.interpretations
            if i.interprets not in said_here
        ]
        entries.sort(key=lambda entry: entry[0])
        rows = [row for _, group in entries for row in group]
        header = [
            self.t("minutes.col.time_of_day", zone=zone_label(self.zone, self.language)),
            self.t("minutes.col.person"),
            self.t("minutes.col.said"),
            self.t("minutes.col.original"),
        ]
        blocks = [paragraph(plain(self.t("minutes.transcript_note")))]
        transcript = table(header, rows, (11, 21, 34, 34))
        return self._section("transcript", [*blocks, transcript] if rows else blocks)

    def _message_row(self, message: SaidMessage) -> tuple[Line, ...]:
        shown, translated = message.text.shown_in(self.language)
        original = message.text.text if translated else ""
        said = plain(shown)
        interpreter = message.text.interpreter_in(self.language)
        if interpreter:
            note = self.t("minutes.interpreted_short", name=Name(interpreter))
            said = (Span(shown), Span(" "), Span(note, "em"))
        return (
            plain(format_clock(message.at, self.zone)),
            plain(f"{isolate(message.name)} ({message.center})"),
            said,
            (Span(original, "em"),) if original else plain(""),
        )

    def _interpretation_row(self, said: Interpretation) -> tuple[Line, ...]:
        """An interpreter on duty, beside the words interpreted (or on its own line)."""
        who = self.t("minutes.interpreter_row", name=Name(said.name))
        at = format_clock(said.at, self.zone)
        return (plain(at), (Span(who, "em"),), plain(said.text), plain(""))

    def _section(self, key: str, blocks: Sequence[Block]) -> Section:
        if not blocks:
            blocks = [paragraph(plain(self.t("minutes.none")))]
        return Section(key, self.t(f"minutes.section.{key}"), tuple(blocks))


# -- laying the documents out -------------------------------------------------------------------


class MarkdownSafe(str):
    """Markdown already escaped by `md_line`: printed as is."""


def md_escape(value: Any) -> str:
    """A value the Markdown template prints among its own characters (`bot.render.markdown`)."""
    if isinstance(value, MarkdownSafe):
        return value
    return escape_value(str(value))


def _pieces(line: Line) -> list[Piece]:
    return [piece for span in line for piece in styled(span.text, span.style)]


def md_line(line: Line, heading: bool = False, cell: bool = False) -> MarkdownSafe:
    """A line of the minutes as Markdown: a paragraph or list item of its own, or a heading's
    or a table cell's words. Only what Markdown would read as markup is escaped."""
    [text] = escape_lines(
        [_pieces(line)], line_start=not (heading or cell), heading=heading, cell=cell
    )
    return MarkdownSafe(text)


def md_text(text: str, heading: bool = False, cell: bool = False) -> MarkdownSafe:
    """The minutes' own words (a section's heading, a column's) placed as `md_line` places a
    line."""
    return md_line(plain(text), heading=heading, cell=cell)


def md_lines(lines: Sequence[Line]) -> MarkdownSafe:
    """Lines of one paragraph, each but the last ended by a hard line break (two spaces)."""
    escaped = escape_lines([_pieces(line) for line in lines])
    return MarkdownSafe("  \n".join(escaped) + "  ")


def environment(autoescape: bool) -> Environment:
    """Jinja2 for the minutes' and the report's templates: HTML escapes every value, Markdown
    escapes every value it prints."""
    made = Environment(
        loader=PackageLoader("bot.render", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=None if autoescape else md_escape,
    )
    made.filters["md"] = md_line
    made.filters["md_lines"] = md_lines
    made.filters["md_text"] = md_text
    made.filters["html_line"] = html_line
    return made


class MinutesRenderer:
    def __init__(self, catalogs: Catalogs) -> None:
        self._catalogs = catalogs
        self._html = environment(autoescape=True)
        self._markdown = environment(autoescape=False)

    def documents(self, data: MinutesData, languages: Sequence[str]) -> list[Document]:
        return [MinutesWriter(self._catalogs, data, language).document() for language in languages]

    def render(
        self, data: MinutesData, fmt: str, languages: Sequence[str], generated: str | None = None
    ) -> str:
        """`generated` is the "made at" stamp in the footer; now, unless given."""
        if fmt == "html":
            return self.html(data, languages, generated)
        if fmt == "md":
            return self.markdown(data, languages, generated)
        raise ValueError(f"unknown minutes format {fmt!r}")

    def html(
        self, data: MinutesData, languages: Sequence[str], generated: str | None = None
    ) -> str:
        docs = self.documents(data, languages)
        template = self._html.get_template("minutes.html.j2")
        return template.render(docs=docs, generated=generated or generated_stamp())

    def markdown(
        self, data: MinutesData, languages: Sequence[str], generated: str | None = None
    ) -> str:
        """One language, or several one after the other: each a whole document of its own."""
        docs = self.documents(data, languages)
        template = self._markdown.get_template("minutes.md.j2")
        return template.render(docs=docs, generated=generated or generated_stamp())


def generated_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def html_line(line: Line) -> Markup:
    """A line as HTML: its text escaped, its styles as <strong> and <em>, its names in <bdi>."""
    parts = []
    for span in line:
        text = isolates_as_bdi(span.text)
        if span.style in ("strong", "em"):
            parts.append(Markup("<{0}>{1}</{0}>").format(Markup(span.style), text))
        else:
            parts.append(text)
    return Markup("").join(parts)


# An isolated span (a name, `bot.domain.names.isolate`) with no other isolate inside.
_ISOLATED = re.compile(f"{FSI}([^{FSI}{PDI}]*){PDI}")


def isolates_as_bdi(text: str) -> Markup:
    """The text escaped, each isolated span in it (FSI … PDI) as <bdi>, which HTML uses for
    the same. A mark without its pair is left as it is: it still ends with the paragraph."""
    parts, start = [], 0
    for match in _ISOLATED.finditer(text):
        parts.append(escape(text[start : match.start()]))
        parts.append(Markup("<bdi>{}</bdi>").format(match.group(1)))
        start = match.end()
    parts.append(escape(text[start:]))
    return Markup("").join(parts)
