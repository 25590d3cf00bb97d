"""The meeting board in words: a `BoardSnapshot` worded in each language of the assembly, and the
pages that show it.

`BoardWords` turns a snapshot into plain data, one view per language, every label from the
catalogs and every word a person wrote as the rooms of that language were shown it (the
translation, with the original one glance away, marked as a machine translation). The page's
script places that data with `textContent` only: nothing in it is ever read as HTML.

`BoardPages` lays out the HTML pages with Jinja2 (autoescape): the board's frame, with its
fixed labels per language, and the list of past meetings. The board's style and script are
files of this package (`static/`), fetched from the bot itself: no build step, no CDN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.domain.board import MAX_WAITING_SHOWN, BoardSnapshot, CurrentItem, Entry, Floor, Seat
from bot.domain.meetings import Meeting
from bot.domain.messages import Msg, UserText, localized
from bot.domain.polls import Poll, Progress, ResultView
from bot.domain.stack import TurnKind
from bot.domain.wording import adds_something
from bot.i18n import Catalogs
from bot.render.polls import count_lines, outcome_line

# The files the board's page loads beside it: its style and its script.
STATIC_FILES = {
    "board.css": "text/css; charset=utf-8",
    "board.js": "text/javascript; charset=utf-8",
}
# The labels each language's column of the page carries for its script (`data-…`).
SCRIPT_LABELS = (
    "timer_left",
    "timer_over",
    "timer_elapsed",
    "closes_in",
    "nobody_speaking",
    "nobody_waiting",
    "no_item",
    "no_polls",
    "no_entries",
    "idle",
)


def static_file(name: str) -> bytes:
    """One of `STATIC_FILES`, as shipped inside the package."""
    if name not in STATIC_FILES:
        raise KeyError(name)
    return (resources.files("bot.render") / "static" / name).read_bytes()


class BoardWords:
    """A snapshot worded for one language."""

    def __init__(self, catalogs: Catalogs, snapshot: BoardSnapshot, language: str) -> None:
        self._catalogs = catalogs
        self._snapshot = snapshot
        self._language = language
        self._translated = {
            UserText(text, source): found
            for (source, target, text), found in snapshot.translations.items()
            if target == language
        }

    def t(self, key: str, **values: Any) -> str:
        return self._catalogs.text(self._language, Msg(key, values))

    def said(self, message: Msg) -> str:
        """A catalog message quoting people's words, as the rooms of this language read it."""
        return self._catalogs.text(
            self._language, localized(message, self._language, self._translated)
        )

    def words(self, text: UserText) -> dict[str, str | None]:
        """What a person wrote: in this language when the rooms were shown a translation,
        with a note that keeps the original (labelled a machine translation)."""
        found = self._translated.get(text) if text.language != self._language else None
        if not adds_something(found, text.text):
            return {"text": text.text, "note": None}
        return {
            "text": str(found),
            "note": self.t("minutes.machine_translation", original=text.text),
        }

    def view(self) -> dict[str, Any]:
        snapshot = self._snapshot
        return {
            "title": self.words(snapshot.title) if snapshot.title else None,
            "idle": None if snapshot.in_meeting else self.t("board.idle"),
            "item": self._item(snapshot.item),
            "upcoming": self._upcoming(snapshot.upcoming),
            "floor": self._floor(snapshot.floor),
            "waiting": [self._seat(w.person, w.kind) for w in snapshot.waiting[:MAX_WAITING_SHOWN]],
            "more_waiting": self._more_waiting(),
            "spoken": [{"center": c, "seconds": round(s, 1)} for c, s in snapshot.spoken],
            "polls": [self._poll(progress) for progress in snapshot.polls],
            "result": self._result(snapshot.result),
            "entries": [self._entry(entry) for entry in snapshot.entries],
        }

    def _item(self, item: CurrentItem | None) -> dict[str, Any] | None:
        if item is None:
            return None
        owner = self._person(item.owner) if item.owner else None
        return {
            "place": self.t("board.item_place", position=item.position, count=item.of),
            "title": self.words(item.title),
            "owner": self.t("board.item_owner", person=owner) if owner else None,
            "started_at": item.started_at,
            "timebox": item.timebox_seconds,
        }

    def _upcoming(self, title: UserText | None) -> dict[str, Any] | None:
        if title is None:
            return None
        return {"label": self.t("board.upcoming"), "title": self.words(title)}

    def _floor(self, floor: Floor | None) -> dict[str, Any] | None:
        if floor is None:
            return None
        return {
            **self._seat(floor.speaker, floor.kind),
            "started_at": floor.started_at,
            "limit": floor.limit_seconds,
        }

    def _seat(self, seat: Seat, kind: TurnKind) -> dict[str, Any]:
        """A person with their center, and the kind of turn when it jumps the stack."""
        jumps = kind is not TurnKind.ORDINARY
        return {
            "name": seat.name,
            "center": seat.center,
            "kind": self.t(f"board.kind.{kind}") if jumps else None,
            "jumps": str(kind) if jumps else None,
        }

    def _person(self, seat: Seat) -> str:
        if not seat.center:
            return seat.name
        return self.t("minutes.member", name=seat.name, center=seat.center)

    def _more_waiting(self) -> str | None:
        hidden = len(self._snapshot.waiting) - MAX_WAITING_SHOWN
        return self.t("board.more_waiting", count=hidden) if hidden > 0 else None

    def _poll(self, progress: Progress) -> dict[str, Any]:
        poll, shown = progress.poll, progress.disclosure
        return {
            "number": f"#{poll.shown_number}",
            "question": self.words(UserText(poll.question, poll.language)),
            "rule": self._rule(poll),
            "voted": self.t("board.voted", count=progress.voted),
            "centers": [
                {
                    "center": center,
                    "text": (
                        self.t("poll.center_count", center=center, count=count)
                        if shown.shows(center)
                        else self.t("poll.center_withheld", center=center)
                    ),
                }
                for center, count in progress.by_center.items()
            ],
            "note": self.t("poll.withheld_why", floor=shown.floor) if shown.withheld else None,
            "deadline_at": poll.deadline_at,
        }

    def _rule(self, poll: Poll) -> str:
        secret = self.t("board.secret") if poll.secret else None
        rule = self.t(f"board.rule.{poll.rule or 'choice'}")
        return self.t("board.rule_secret", rule=rule, secret=secret) if secret else rule

    def _result(self, view: ResultView | None) -> dict[str, Any] | None:
        if view is None:
            return None
        poll = view.poll
        return {
            "number": f"#{poll.shown_number}",
            "question": self.words(UserText(poll.question, poll.language)),
            "outcome": self.said(outcome_line(poll, view.result)),
            "passed": view.result.passed if view.result.quorum_met else None,
            "lines": [self.said(line) for line in count_lines(view)],
        }

    def _entry(self, entry: Entry) -> dict[str, Any]:
        owner = None
        if entry.owner is not None:
            person = self._person(entry.owner)
            owner = (
                self.t("board.action_due", person=person, due=entry.due.isoformat())
                if entry.due
                else self.t("board.action_for", person=person)
            )
        return {
            "kind": entry.kind,
            "label": self.t(f"board.entry.{entry.kind}", number=entry.number or ""),
            "text": self.words(entry.text),
            "owner": owner,
        }


def board_state(
    catalogs: Catalogs, snapshot: BoardSnapshot, languages: Sequence[str]
) -> dict[str, Any]:
    """Everything every screen of the board needs, in every language: what the page's script
    receives on connecting and after each change."""
    return {
        "assembly": snapshot.assembly,
        "centers": list(snapshot.centers),
        "in_meeting": snapshot.in_meeting,
        "meeting": snapshot.meeting_id,
        "views": {
            language: BoardWords(catalogs, snapshot, language).view() for language in languages
        },
    }


@dataclass(frozen=True)
class Column:
    """One language's column of the board's page, with the labels its script needs."""

    language: str
    name: str
    labels: Mapping[str, str]
    script_labels: Mapping[str, str]


class BoardPages:
    def __init__(self, catalogs: Catalogs) -> None:
        self._catalogs = catalogs
        self._html = Environment(
            loader=PackageLoader("bot.render", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def column(self, language: str) -> Column:
        def t(key: str, **values: Any) -> str:
            return self._catalogs.text(language, Msg(key, values))

        headings = ("item", "floor", "next", "time", "polls", "result", "entries", "meetings")
        return Column(
            language=language,
            name=t(f"language.{language}"),
            labels={name: t(f"board.heading.{name}") for name in headings},
            # "{time}" stays for the script to fill in.
            script_labels={name: t(f"board.{name}", time="{time}") for name in SCRIPT_LABELS},
        )

    def board(
        self, assembly: str, languages: Sequence[str], primary: str, *, single: bool, prefix: str
    ) -> str:
        """The board's frame: one column per language (only `primary` when `single`), filled
        and kept up to date by its script."""
        shown = [primary] if single else [primary, *(x for x in languages if x != primary)]
        columns = [self.column(language) for language in shown]
        status = {
            language: {
                "reconnecting": self._catalogs.text(language, Msg.of("board.reconnecting")),
                "gone": self._catalogs.text(language, Msg.of("board.gone", prefix=prefix)),
            }
            for language in shown
        }
        switch = [
            (language, self._catalogs.text(language, Msg.of(f"language.{language}")))
            for language in languages
        ]
        return self._html.get_template("board.html.j2").render(
            assembly=assembly,
            columns=columns,
            primary=primary,
            status=status,
            switch=switch,
            single=single,
        )

    def meetings(self, assembly: str, meetings: Sequence[Meeting], language: str, zone: str) -> str:
        """The assembly's meetings, newest first, each linked to its minutes."""

        def t(key: str, **values: Any) -> str:
            return self._catalogs.text(language, Msg(key, values))

        rows = [
            {
                "id": meeting.id,
                "title": meeting.title,
                "title_language": meeting.title_language,
                "when": _day(meeting.started_at, zone),
                "open": meeting.ended_at is None,
            }
            for meeting in meetings
        ]
        return self._html.get_template("board_meetings.html.j2").render(
            language=language,
            title=t("board.meetings_title", assembly=assembly),
            back=t("board.back"),
            none=t("board.no_meetings"),
            in_progress=t("board.in_progress"),
            rows=rows,
        )


def _day(ms: int, zone: str) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC).astimezone(ZoneInfo(zone))
    return moment.strftime("%Y-%m-%d %H:%M %Z")
