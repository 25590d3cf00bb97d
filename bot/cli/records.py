"""`asamblea meetings` and `asamblea minutes`: the record, read straight from the database.

Both read the SQLite file named by `--database`, or by `bot.database` in the `--config` file; the
bot may keep running meanwhile. Centers and time zones come from the configuration when it is
given, otherwise from the copy of the rooms the bot keeps in the database.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.cli.support import EXIT_REFUSED, Problem, run_to_exit
from bot.storage.private_files import write_private_text

LANGUAGES = {"en": ["en"], "es": ["es"], "both": ["en", "es"]}


def add_source(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", "-c", type=Path, help="the bot's configuration file")
    source.add_argument("--database", "-d", type=Path, help="the bot's SQLite database")
    parser.add_argument("--assembly", help="only this assembly (by its name)")


def add_meetings_command(sub: Any) -> None:
    meetings = sub.add_parser("meetings", help="list the meetings recorded in the database")
    add_source(meetings)
    meetings.set_defaults(action=_meetings)


def add_minutes_command(sub: Any) -> None:
    minutes = sub.add_parser("minutes", help="write the minutes of one meeting to a file")
    add_source(minutes)
    minutes.add_argument("--meeting", "-m", type=int, required=True, help="the meeting's number")
    minutes.add_argument(
        "--format",
        "-f",
        choices=("md", "html"),
        default="md",
        help="md: Markdown (the default); html: one self-contained, printable page",
    )
    minutes.add_argument(
        "--lang",
        "-l",
        choices=tuple(LANGUAGES),
        default="both",
        help=(
            "en, es or both. Without --lang: both, the minutes in English and in Spanish; "
            "in HTML side by side, section by section (one after the other on a narrow page "
            "and in print); in Markdown the English minutes, then the Spanish ones"
        ),
    )
    minutes.add_argument("--output", "-o", type=Path, help="the file to write (default: stdout)")
    minutes.add_argument(
        "--transcript", action="store_true", help="add the whole bilingual transcript"
    )
    minutes.set_defaults(action=_minutes)


def _meetings(args: argparse.Namespace) -> int:
    return run_to_exit(_list_meetings(args))


def _minutes(args: argparse.Namespace) -> int:
    return run_to_exit(_write_minutes(args))


def database_path(args: argparse.Namespace) -> Path:
    if args.database is not None:
        path = args.database
    else:
        bot = config_table(args).get("bot", {})
        path = Path(bot.get("database") or "./asamblea.db")
        if not path.is_absolute():
            path = args.config.parent / path
    if not path.exists():
        raise Problem(f"{path}: no such database")
    return path


def config_table(args: argparse.Namespace) -> dict[str, Any]:
    try:
        return tomllib.loads(args.config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Problem(f"{args.config}: file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise Problem(f"{args.config}: not valid TOML ({error})") from None


def configured_rooms(args: argparse.Namespace, assembly: str) -> list[Any]:
    from bot.domain.assembly import AssemblyRoom

    if args.config is None:
        return []
    for entry in config_table(args).get("assemblies", []):
        if entry.get("name") == assembly:
            return [
                AssemblyRoom(
                    str(room.get("room", "")),
                    str(room.get("language", "en")),
                    str(room.get("center", "")),
                    str(room.get("timezone", "UTC")),
                )
                for room in entry.get("rooms", [])
            ]
    return []


async def _list_meetings(args: argparse.Namespace) -> int:
    from bot.storage.database import Database
    from bot.storage.meetings_store import MeetingsStore

    db = await Database.open(database_path(args))
    try:
        meetings = await MeetingsStore(db).meetings(args.assembly)
    finally:
        await db.close()
    if not meetings:
        print("no meetings recorded", file=sys.stderr)
        return 0
    print("id\tassembly\tstarted (UTC)\tended (UTC)\ttitle")
    for meeting in meetings:
        ended = _utc(meeting.ended_at) if meeting.ended_at else "in progress"
        print(
            f"{meeting.id}\t{meeting.assembly}\t{_utc(meeting.started_at)}\t{ended}\t"
            f"{meeting.title}"
        )
    return 0


async def _write_minutes(args: argparse.Namespace) -> int:
    from bot.i18n import Catalogs
    from bot.render.minutes import MinutesRenderer
    from bot.services.minutes import MeetingNotFound, MinutesService
    from bot.storage.approvals_store import ApprovalsStore
    from bot.storage.commitments_store import CommitmentsStore
    from bot.storage.database import Database
    from bot.storage.decisions_store import DecisionsStore
    from bot.storage.meetings_store import MeetingsStore
    from bot.storage.mirror_store import MirrorStore, SqliteTranslationCache
    from bot.storage.people_store import PeopleStore
    from bot.storage.polls_store import PollsStore
    from bot.storage.rooms_store import AssemblyRoomsStore
    from bot.storage.runtime_store import now_ms

    db = await Database.open(database_path(args))
    try:
        service = MinutesService(
            decisions=DecisionsStore(db),
            meetings=MeetingsStore(db),
            polls=PollsStore(db),
            mirror=MirrorStore(db),
            translations=SqliteTranslationCache(db),
            rooms=AssemblyRoomsStore(db),
            people=PeopleStore(db),
            commitments=CommitmentsStore(db),
            approvals=ApprovalsStore(db),
            clock=now_ms,
        )
        try:
            meeting = await service.meeting(args.assembly, args.meeting)
        except MeetingNotFound:
            raise Problem(f"there is no meeting {args.meeting}", EXIT_REFUSED) from None
        rooms = configured_rooms(args, meeting.assembly) or await service.rooms_of(
            meeting.assembly
        )
        data = await service.build(meeting, rooms, transcript=args.transcript)
        text = MinutesRenderer(Catalogs.load_default()).render(
            data, args.format, LANGUAGES[args.lang]
        )
    finally:
        await db.close()
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_private_text(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")
