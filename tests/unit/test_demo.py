"""`asamblea demo` seats two people in each center's room, a standing chair and a member, so that
who may do what, the alternating stack and a double majority can all be tried."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.demo import (
    PEOPLE,
    ROOMS,
    WITHOUT_TRANSLATOR,
    DemoTranslation,
    config_text,
    print_welcome,
)
from bot.cli.devserver import LocalSynapse
from bot.config import load_config
from bot.domain.authority import WhoMayStart
from bot.domain.stack import StackPolicy

ROOM_IDS = {"en": "!english:localhost", "es": "!spanish:localhost"}


def demo_config(
    tmp_path: Path, chairs: list[str], translation: DemoTranslation = WITHOUT_TRANSLATOR
):
    path = tmp_path / "config.toml"
    path.write_text(
        config_text("http://127.0.0.1:8008", "@asamblea:localhost", ROOM_IDS, chairs, translation)
    )
    return load_config(path)


def test_each_center_has_a_chair_and_a_member() -> None:
    rooms = {room.language: room.center for room in ROOMS}
    assert rooms == {"en": "US", "es": "MX"}
    seated = Counter((rooms[p.language], p.chair) for p in PEOPLE)
    assert seated == {("US", True): 1, ("US", False): 1, ("MX", True): 1, ("MX", False): 1}
    by_name = {p.display_name: (rooms[p.language], p.role) for p in PEOPLE}
    assert by_name == {
        "Ana (US)": ("US", "standing chair"),
        "Carol (US)": ("US", "member"),
        "Beto (MX)": ("MX", "standing chair"),
        "Dora (MX)": ("MX", "member"),
    }


def test_the_demo_configuration_names_the_two_chairs_and_both_rooms(tmp_path: Path) -> None:
    chairs = [f"@{p.localpart}:localhost" for p in PEOPLE if p.chair]
    config = demo_config(tmp_path, chairs)
    [assembly] = config.assemblies
    assert set(assembly.chairs) == {"@ana:localhost", "@beto:localhost"}
    assert "@carol:localhost" not in assembly.chairs and "@dora:localhost" not in assembly.chairs
    assert [(r.room, r.language, r.center) for r in assembly.rooms] == [
        ("!english:localhost", "en", "US"),
        ("!spanish:localhost", "es", "MX"),
    ]
    # Only the chairs open meetings, and the stack alternates between the centers.
    assert assembly.who_may_start is WhoMayStart.CHAIRS
    assert assembly.stack_policy is StackPolicy.ALTERNATE
    assert config.translation.provider == "none"


def test_the_welcome_gives_all_four_logins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = LocalSynapse(tmp_path / "synapse", port=8008)  # not started: only its names
    print_welcome(server, tmp_path / "config.toml")
    text = capsys.readouterr().out
    assert "Homeserver: http://127.0.0.1:8008" in text
    for person in PEOPLE:
        line = next(line for line in text.splitlines() if f"@{person.localpart}:localhost" in line)
        assert f"password: {person.password}" in line and person.role in line
    assert text.count("standing chair in") == 2 and text.count("member in") == 2


def test_the_demo_translates_with_a_libretranslate_server_given_by_its_url(tmp_path: Path) -> None:
    libre = DemoTranslation("libre", "http://127.0.0.1:5000")
    config = demo_config(tmp_path, ["@ana:localhost"], libre)
    assert config.translation.provider == "libre"
    assert config.translation.url == "http://127.0.0.1:5000"


def test_the_demo_asks_for_the_url_of_its_libretranslate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--translation", "libre"]) == 2
    assert "--translation libre needs --url" in capsys.readouterr().err
    assert main(["demo", "--url", "http://127.0.0.1:5000"]) == 2
    assert "--url goes with --translation libre" in capsys.readouterr().err


def test_the_welcome_says_what_the_copies_will_show_and_how_to_translate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = LocalSynapse(tmp_path / "synapse", port=8008)  # not started: only its names
    print_welcome(server, tmp_path / "config.toml", WITHOUT_TRANSLATOR)
    untranslated = " ".join(capsys.readouterr().out.split())
    assert 'marked "not translated" / "sin traducir"' in untranslated
    assert "--translation libre --url" in untranslated
    print_welcome(server, tmp_path / "config.toml", DemoTranslation("libre", "http://lt:5000"))
    translated = " ".join(capsys.readouterr().out.split())
    assert "LibreTranslate at http://lt:5000" in translated and "not translated" not in translated
