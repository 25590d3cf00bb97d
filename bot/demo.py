"""`asamblea demo`: a complete assembly on this machine, for trying Asamblea without a homeserver.

Starts a local Synapse, creates the bot and two people (Ana in the English room, Beto in the
Spanish room), writes a configuration for them, and runs the bot until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.config import load_config
from bot.devserver import LocalSynapse
from bot.serving import serve
from bot.storage.private_files import write_private_text

BOT = ("asamblea", "asamblea-demo-bot", "Asamblea")
PEOPLE = {"ana": ("ana-demo", "Ana (US)"), "beto": ("beto-demo", "Beto (MX)")}


def run_demo(data: Path, port: int, translation: str = "google") -> int:
    data = data.resolve()
    server = LocalSynapse(data / "synapse", port=port)
    server.start()
    try:
        config_path = _prepare(server, data, translation)
        _print_welcome(server, config_path)
        return asyncio.run(serve(load_config(config_path)))
    finally:
        server.stop()


def _prepare(server: LocalSynapse, data: Path, translation: str) -> Path:
    bot = server.register(BOT[0], BOT[1], displayname=BOT[2])
    people = {
        name: server.register(name, password, displayname=display)
        for name, (password, display) in PEOPLE.items()
    }
    rooms_file = data / "rooms.json"
    if rooms_file.exists():
        rooms = json.loads(rooms_file.read_text())
    else:
        rooms = {
            "en": server.create_room(people["ana"], "Assembly (English)", [bot.user_id]),
            "es": server.create_room(people["beto"], "Asamblea (español)", [bot.user_id]),
        }
        rooms_file.write_text(json.dumps(rooms))
    config_path = data / "config.toml"
    # It holds the bot's password: readable by its owner only, like the database.
    write_private_text(
        config_path,
        _config_text(server, bot.user_id, rooms, [p.user_id for p in people.values()], translation),
    )
    return config_path


def _config_text(
    server: LocalSynapse, bot_id: str, rooms: dict[str, str], chairs: list[str], translation: str
) -> str:
    chair_list = ", ".join(f'"{c}"' for c in chairs)
    return f"""# Written by `asamblea demo`; see config.example.toml for every option.
[matrix]
homeserver = "{server.base_url}"
user_id = "{bot_id}"
password = "{BOT[1]}"

[bot]
database = "asamblea.db"

[translation]
provider = "{translation}"

[[assemblies]]
name = "Demo"
chairs = [{chair_list}]

[[assemblies.rooms]]
room = "{rooms["en"]}"
language = "en"
center = "US"
timezone = "America/New_York"

[[assemblies.rooms]]
room = "{rooms["es"]}"
language = "es"
center = "MX"
timezone = "America/Mexico_City"
"""


def _print_welcome(server: LocalSynapse, config_path: Path) -> None:
    logins = "\n".join(
        f"    {server.user_id(name)}  password: {password}"
        for name, (password, _) in PEOPLE.items()
    )
    print(
        f"""
Asamblea demo is running.
  Homeserver: {server.base_url}  (log in with any Matrix client, e.g. Element, using this URL)
  People:
{logins}
  Ana sits in "Assembly (English)", Beto in "Asamblea (español)". Send !help or !ayuda.
  The bot's configuration: {config_path}
Press Ctrl-C to stop.
""",
        flush=True,
    )
