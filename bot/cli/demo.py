"""`asamblea demo`: a complete assembly on this machine, for trying Asamblea without a homeserver.

Starts a local Synapse, creates the bot and four people, two in each center's room: in the
English room Ana (US), a standing chair, and Carol (US), a member; in the Spanish room Beto (MX),
a standing chair, and Dora (MX), a member. Two people a room is what it takes to try who may do
what, the stack alternating between the centers, and a double majority. It writes a
configuration for them and runs the bot until Ctrl-C.

It translates only with a translator at hand: without one (`none`) each copy is the original,
marked "not translated" in the other room's language; with a LibreTranslate server (`libre` and
its URL) the copies are translated. It never makes a translation up.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

from bot.cli.devserver import LocalSynapse, RegisteredAccount
from bot.cli.serving import serve
from bot.config import load_config
from bot.storage.private_files import write_private_text

BOT = ("asamblea", "asamblea-demo-bot", "Asamblea")
# A LibreTranslate that has just started loads its models before it answers.
LIBRE_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class DemoTranslation:
    """How the demo translates: `none`, `libre` at `url`, or `google`."""

    provider: str = "none"
    url: str | None = None

    def config(self) -> str:
        """The configuration's `[translation]` settings."""
        lines = [f"provider = {_toml_string(self.provider)}"]
        if self.url:
            lines += [
                f"url = {_toml_string(self.url)}",
                f"timeout_seconds = {LIBRE_TIMEOUT_SECONDS}",
            ]
        return "\n".join(lines)

    def welcome(self) -> str:
        """What the person will see in the copies, and how to see real translation."""
        if self.provider == "none":
            return (
                'Translation: none. Copies reach the other room as written, marked "not\n'
                '  translated" / "sin traducir". For real translation, run the demo with\n'
                "  --translation libre --url <your LibreTranslate server> (see the README)."
            )
        if self.provider == "libre":
            return f"Translation: LibreTranslate at {self.url}. Copies are machine-translated."
        return "Translation: Google's free endpoint; every message is sent to Google."


# The README's demo: nothing leaves the machine, and nothing is translated.
WITHOUT_TRANSLATOR = DemoTranslation()


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a TOML basic string


@dataclass(frozen=True)
class DemoRoom:
    language: str
    name: str
    center: str
    timezone: str


@dataclass(frozen=True)
class DemoPerson:
    localpart: str
    password: str
    display_name: str
    language: str  # the room they sit in
    chair: bool  # a standing chair, named in the configuration

    @property
    def role(self) -> str:
        return "standing chair" if self.chair else "member"


ROOMS = (
    DemoRoom("en", "Assembly (English)", "US", "America/New_York"),
    DemoRoom("es", "Asamblea (español)", "MX", "America/Mexico_City"),
)
# Each room's chair creates it; the member is invited and joined.
PEOPLE = (
    DemoPerson("ana", "ana-demo", "Ana (US)", "en", chair=True),
    DemoPerson("carol", "carol-demo", "Carol (US)", "en", chair=False),
    DemoPerson("beto", "beto-demo", "Beto (MX)", "es", chair=True),
    DemoPerson("dora", "dora-demo", "Dora (MX)", "es", chair=False),
)


def run_demo(data: Path, port: int, translation: DemoTranslation = WITHOUT_TRANSLATOR) -> int:
    data = data.resolve()
    server = LocalSynapse(data / "synapse", port=port)
    server.start()
    try:
        config_path = prepare(server, data, translation)
        print_welcome(server, config_path, translation)
        return asyncio.run(serve(load_config(config_path)))
    finally:
        server.stop()


def prepare(server: LocalSynapse, data: Path, translation: DemoTranslation) -> Path:
    """Accounts, rooms and everyone seated in them (again, harmlessly, on a later run), and the
    bot's configuration; returns the configuration's path."""
    bot = server.register(BOT[0], BOT[1], displayname=BOT[2])
    accounts = {
        person.localpart: server.register(
            person.localpart, person.password, displayname=person.display_name
        )
        for person in PEOPLE
    }
    rooms = _rooms(server, data / "rooms.json", accounts, bot.user_id)
    for person in PEOPLE:
        if not person.chair:
            chair = accounts[_chair_of(person.language).localpart]
            _seat(server, chair, accounts[person.localpart], rooms[person.language])
    config_path = data / "config.toml"
    chairs = [server.user_id(person.localpart) for person in PEOPLE if person.chair]
    # It holds the bot's password: readable by its owner only, like the database.
    write_private_text(
        config_path, config_text(server.base_url, bot.user_id, rooms, chairs, translation)
    )
    return config_path


def _chair_of(language: str) -> DemoPerson:
    return next(p for p in PEOPLE if p.language == language and p.chair)


def _rooms(
    server: LocalSynapse, rooms_file: Path, accounts: dict[str, RegisteredAccount], bot_id: str
) -> dict[str, str]:
    """Each room's id by language: made once, by its chair, and kept in `rooms_file`."""
    if rooms_file.exists():
        return dict(json.loads(rooms_file.read_text()))
    rooms = {
        room.language: server.create_room(
            accounts[_chair_of(room.language).localpart], room.name, [bot_id]
        )
        for room in ROOMS
    }
    rooms_file.write_text(json.dumps(rooms))
    return rooms


def _seat(
    server: LocalSynapse, chair: RegisteredAccount, member: RegisteredAccount, room_id: str
) -> None:
    """Invite the member and join them, so that they find the room there at their first login.
    A demo folder from an earlier run may have them invited or seated already."""
    server.invite(chair, room_id, member.user_id)
    server.join_room(member, room_id)


def config_text(
    homeserver: str,
    bot_id: str,
    rooms: dict[str, str],
    chairs: list[str],
    translation: DemoTranslation,
) -> str:
    chair_list = ", ".join(f'"{c}"' for c in chairs)
    room_tables = "".join(
        f"""
[[assemblies.rooms]]
room = "{rooms[room.language]}"
language = "{room.language}"
center = "{room.center}"
timezone = "{room.timezone}"
"""
        for room in ROOMS
    )
    return f"""# Written by `asamblea demo`; see config.example.toml for every option.
[matrix]
homeserver = "{homeserver}"
user_id = "{bot_id}"
password = "{BOT[1]}"

[bot]
database = "asamblea.db"

[translation]
{translation.config()}

[[assemblies]]
name = "Demo"
# The standing chairs: one in each center. Everyone else in the rooms is a member.
chairs = [{chair_list}]
{room_tables}"""


def print_welcome(
    server: LocalSynapse, config_path: Path, translation: DemoTranslation = WITHOUT_TRANSLATOR
) -> None:
    width = max(len(server.user_id(p.localpart)) for p in PEOPLE)
    rooms = {room.language: room.name for room in ROOMS}
    logins = "\n".join(
        f"    {server.user_id(p.localpart):<{width}}  password: {p.password:<10}  "
        f'{p.role} in "{rooms[p.language]}"'
        for p in PEOPLE
    )
    print(
        f"""
Asamblea demo is running.
  Homeserver: {server.base_url}  (log in with any Matrix client, e.g. Element, using this URL)
  People (two in each room; log in as a chair and as a member to see who may do what):
{logins}
  Send !help or !ayuda. A chair opens a meeting with !startmeeting; !hand from both rooms shows
  the stack alternating between the centers; !poll double "…" needs a majority in each center.
  {translation.welcome()}
  The bot's configuration: {config_path}
Press Ctrl-C to stop.
""",
        flush=True,
    )
