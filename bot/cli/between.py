"""`asamblea report` and `asamblea calendar`: follow-through between meetings, read straight
from the database (the bot may keep running).

`report` writes the bilingual report of commitments and decisions over time, as Markdown (with
its charts as SVG files beside it) and as one HTML page; `calendar` writes an iCalendar file of
the scheduled meetings and the open commitments' due dates.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.cli.records import LANGUAGES, add_source, configured_rooms, database_path
from bot.cli.support import EXIT_USAGE, Problem, run_to_exit
from bot.storage.private_files import write_private_text

DEFAULT_REPORT = Path("asamblea-report")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _minutes(text: str) -> timedelta:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes")
    return timedelta(minutes=int(text))


def add_report_command(sub: Any) -> None:
    report = sub.add_parser(
        "report",
        help="write the follow-through report (commitments and decisions per month)",
        description="Commitments made, done and overdue per center per month, and decisions "
        "per month, in English and Spanish, with charts: PREFIX.md (its charts as "
        "PREFIX-*.svg beside it) and PREFIX.html (one self-contained page).",
    )
    add_source(report)
    report.add_argument("--since", type=_day, required=True, help="the first day (YYYY-MM-DD)")
    report.add_argument(
        "--until", type=_day, help="the last day (YYYY-MM-DD; default: today)"
    )
    report.add_argument(
        "--lang",
        "-l",
        choices=tuple(LANGUAGES),
        default="both",
        help="en, es or both (the default: each section in English and in Spanish)",
    )
    report.add_argument(
        "--output",
        "-o",
        type=Path,
        default=DEFAULT_REPORT,
        help=f"where to write, without extension (default: {DEFAULT_REPORT})",
    )
    report.set_defaults(action=lambda args: run_to_exit(_write_report(args)))


def add_calendar_command(sub: Any) -> None:
    calendar = sub.add_parser(
        "calendar",
        help="write an iCalendar file of scheduled meetings and commitments' due dates",
        description="Scheduled meetings (in the zone each was scheduled in, recurring ones "
        "as recurrence rules) and open commitments' due dates (all-day events), for any "
        "calendar app; every room's time zone is in the file.",
    )
    add_source(calendar)
    calendar.add_argument(
        "--lang",
        "-l",
        choices=tuple(LANGUAGES),
        default="both",
        help="the language of the events' descriptions: en, es or both (the default)",
    )
    calendar.add_argument(
        "--meeting-length",
        type=_minutes,
        default=timedelta(hours=1),
        metavar="MINUTES",
        help="how long a meeting is shown (default: 60)",
    )
    calendar.add_argument("--output", "-o", type=Path, help="the .ics file (default: stdout)")
    calendar.set_defaults(action=lambda args: run_to_exit(_write_calendar(args)))


async def _assembly_and_rooms(args: argparse.Namespace, db: Any) -> tuple[str, list[Any]]:
    from bot.storage.rooms_store import AssemblyRoomsStore

    store = AssemblyRoomsStore(db)
    known = await store.assemblies()
    name = args.assembly
    if name is None:
        if len(known) != 1:
            raise Problem("name the assembly with --assembly: " + (", ".join(known) or "none"))
        name = known[0]
    rooms = configured_rooms(args, name) or await store.rooms(name)
    if not rooms:
        raise Problem(f"no assembly {name!r} in the database", EXIT_USAGE)
    return name, rooms


async def _write_report(args: argparse.Namespace) -> int:
    from bot.domain.commitments import today_in
    from bot.i18n import Catalogs
    from bot.render.report import ReportRenderer
    from bot.services.report import FollowThrough
    from bot.storage.commitments_store import CommitmentsStore
    from bot.storage.database import Database
    from bot.storage.decisions_store import DecisionsStore

    db = await Database.open(database_path(args))
    try:
        assembly, rooms = await _assembly_and_rooms(args, db)
        today = today_in(datetime.now(UTC), rooms[0].timezone)
        until = args.until or today
        if until < args.since:
            raise Problem("--until is before --since")
        data = await FollowThrough(CommitmentsStore(db), DecisionsStore(db)).report(
            assembly, rooms, args.since, until, today
        )
    finally:
        await db.close()
    renderer = ReportRenderer(Catalogs.load_default())
    languages = LANGUAGES[args.lang]
    stem = args.output.name
    markdown, charts = renderer.markdown(data, languages, chart_stem=stem)
    written = [args.output.with_name(f"{stem}.md"), args.output.with_name(f"{stem}.html")]
    write_private_text(written[0], markdown)
    write_private_text(written[1], renderer.html(data, languages))
    for name, svg in charts:
        write_private_text(args.output.with_name(name), svg)
        written.append(args.output.with_name(name))
    print("wrote " + ", ".join(str(path) for path in written), file=sys.stderr)
    return 0


async def _write_calendar(args: argparse.Namespace) -> int:
    from bot.i18n import Catalogs
    from bot.render.calendar import ScheduledMeeting, calendar_file
    from bot.storage.commitments_store import CommitmentsStore
    from bot.storage.database import Database
    from bot.storage.schedules_store import SchedulesStore

    db = await Database.open(database_path(args))
    try:
        assembly, rooms = await _assembly_and_rooms(args, db)
        schedules = await SchedulesStore(db).active_schedules(assembly)
        commitments = await CommitmentsStore(db).open_commitments(assembly)
    finally:
        await db.close()
    catalogs = Catalogs.load_default()
    text = calendar_file(
        assembly=assembly,
        zones=[room.timezone for room in rooms],
        meetings=[ScheduledMeeting(s.id, s.title, s.rule) for s in schedules],
        commitments=[c for c in commitments if c.due is not None],
        languages=LANGUAGES[args.lang],
        wording=catalogs.text,
        prefix=_prefix(args),
        now=datetime.now(UTC),
        meeting_length=args.meeting_length,
    )
    if args.output is None:
        sys.stdout.buffer.write(text)
    else:
        write_private_text(args.output, text.decode())
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _prefix(args: argparse.Namespace) -> str:
    from bot.cli.records import config_table

    if args.config is None:
        return "!"
    return str(config_table(args).get("bot", {}).get("command_prefix") or "!")
