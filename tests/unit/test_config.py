"""An operator's configuration file: every mistake reported at once, with its dotted key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, load_config
from tests.harness.libretranslate import FakeLibreTranslate

GOOD = """
[matrix]
homeserver = "https://matrix.example.org"
user_id = "@asamblea:example.org"
password = "secret"

[translation]
provider = "none"

[[assemblies]]
name = "General"
chairs = ["@ana:example.org"]
[[assemblies.rooms]]
room = "#en:example.org"
language = "en"
center = "US"
timezone = "America/New_York"
[[assemblies.rooms]]
room = "!es:example.org"
language = "es"
center = "MX"
timezone = "America/Mexico_City"
"""

THREE_MISTAKES = """
[matrix]
homeserver = "matrix.example.org"
user_id = "@asamblea:example.org"
password = "secret"

[translation]
provider = "none"

[[assemblies]]
name = "General"
chairs = ["@ana:example.org"]
stack_policy = "loudest-first"
[[assemblies.rooms]]
room = "#en:example.org"
language = "fr"
center = "US"
[[assemblies.rooms]]
room = "!es:example.org"
language = "es"
center = "MX"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_with_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), environ={})
    assert config.command_prefix == "!"
    assert config.database_path == tmp_path / "asamblea.db"
    assert config.translation.provider == "none"
    rooms = config.assemblies[0].rooms
    assert [(r.language, r.center) for r in rooms] == [("en", "US"), ("es", "MX")]


def test_the_translation_settings_come_from_the_file(tmp_path: Path) -> None:
    libre = (
        '[translation]\nprovider = "libre"\nurl = "http://127.0.0.1:5000"\n'
        "timeout_seconds = 3.0\nmax_workers = 2\n"
    )
    path = write(tmp_path, GOOD.replace('[translation]\nprovider = "none"\n', libre))
    settings = load_config(path, environ={}).translation
    assert (settings.provider, settings.timeout_seconds, settings.max_chars) == ("libre", 3.0, 4500)


def test_three_mistakes_give_three_messages_and_exit_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, THREE_MISTAKES)
    assert main(["check-config", str(path)]) == 2
    errors = capsys.readouterr().err
    assert "matrix.homeserver: expected a URL" in errors
    assert "assemblies[0].stack_policy: expected one of fifo, progressive, alternate" in errors
    assert "assemblies[0].rooms[0].language: expected one of en, es; got 'fr'" in errors
    assert "3 problems:" in errors


def test_secrets_come_from_the_environment(tmp_path: Path) -> None:
    text = GOOD.replace('password = "secret"', "")
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text), environ={})
    assert any(p.startswith("matrix.password") for p in error.value.problems)
    config = load_config(write(tmp_path, text), environ={"ASAMBLEA_PASSWORD": "from-env"})
    assert config.matrix.password == "from-env"


def test_a_room_in_two_assemblies_is_refused(tmp_path: Path) -> None:
    second = GOOD[GOOD.index("[[assemblies]]") :].replace('"General"', '"Other"')
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, GOOD + second), environ={})
    assert any("is already used by assemblies[0].rooms[0]" in p for p in error.value.problems)


def test_broken_toml_is_one_clear_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, "[matrix\nhomeserver="), environ={})
    assert "not valid TOML" in error.value.problems[0]


def test_the_example_config_is_valid(tmp_path: Path) -> None:
    example = Path(__file__).parents[2] / "config.example.toml"
    config = load_config(example, environ={"ASAMBLEA_PASSWORD": "x"})
    assert {r.language for r in config.assemblies[0].rooms} == {"en", "es"}


def test_an_assembly_nobody_may_open_a_meeting_in_is_refused(tmp_path: Path) -> None:
    """Only standing chairs open meetings by default, so an assembly without any is a mistake."""
    without_chairs = GOOD.replace('chairs = ["@ana:example.org"]\n', "")
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, without_chairs), environ={})
    assert any(p.startswith("assemblies[0].chairs:") for p in refused.value.problems)
    anyone = without_chairs.replace(
        'name = "General"', 'name = "General"\nwho_may_start = "anyone"'
    )
    config = load_config(write(tmp_path, anyone), environ={})
    assert config.assemblies[0].who_may_start == "anyone"
    assert config.assemblies[0].power_level_chairs is False


@pytest.mark.parametrize(
    ("section", "wrong", "right"),
    [
        ("[[assemblies]]", 'stak_policy = "fifo"', "stack_policy"),
        ("[translation]", "timout_seconds = 5", "timeout_seconds"),
        ("[matrix]", "encrypton = false", "encryption"),
        ("[bot]", 'comand_prefix = "?"', "command_prefix"),
    ],
)
def test_a_misspelt_setting_is_refused_with_the_nearest_right_one(
    tmp_path: Path, section: str, wrong: str, right: str
) -> None:
    """A misspelling would otherwise be ignored, leaving the setting at its default (with
    `encrypton = false`, encryption would stay on)."""
    text = GOOD + "\n[bot]\n" if section == "[bot]" else GOOD
    if section == "[[assemblies]]":
        text = text.replace('name = "General"', f'name = "General"\n{wrong}')
    elif section == "[matrix]":
        text = text.replace('password = "secret"', f'password = "secret"\n{wrong}')
    else:
        text = text.replace(f"\n{section}\n", f"\n{section}\n{wrong}\n")
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, text), environ={})
    [problem] = refused.value.problems
    assert problem.endswith(f"unknown setting; did you mean {right}?"), problem


def test_one_problem_is_one_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, GOOD.replace('name = "General"', 'name = "General"\nrule = "x"'))
    assert main(["check-config", str(path)]) == 2
    errors = capsys.readouterr().err
    assert ": 1 problem:" in errors and "assemblies[0].rule: unknown setting" in errors


def test_a_file_without_a_translation_provider_is_refused_naming_every_choice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No default provider: people's words go nowhere the operator did not choose."""
    path = write(tmp_path, GOOD.replace('[translation]\nprovider = "none"\n', ""))
    assert main(["check-config", str(path)]) == 2
    errors = capsys.readouterr().err
    assert "translation.provider: is required" in errors
    for choice in (
        "libre (private if self-hosted)",
        "deepl, microsoft (paid, third party)",
        "google, mymemory (free public endpoints, third party)",
        "none",
    ):
        assert choice in errors


def test_observability_listens_on_loopback_unless_told_otherwise(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, GOOD), environ={}).observability.enabled is False
    for listen, address in (
        ("9464", ("127.0.0.1", 9464)),
        (":9100", ("127.0.0.1", 9100)),
        ("0.0.0.0:9464", ("0.0.0.0", 9464)),
        ("[::1]:9464", ("::1", 9464)),
    ):
        config = load_config(
            write(tmp_path, GOOD + f'\n[observability]\nlisten = "{listen}"\n'), environ={}
        )
        assert (config.observability.host, config.observability.port) == address
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, GOOD + '\n[observability]\nlisten = "here"\n'), environ={})
    [problem] = refused.value.problems
    assert problem.startswith("observability.listen: expected")


def test_the_board_is_off_unless_told_and_links_point_where_people_open_it(
    tmp_path: Path,
) -> None:
    off = load_config(write(tmp_path, GOOD), environ={}).board
    assert off.enabled is False and off.public_url is None
    local = load_config(write(tmp_path, GOOD + '\n[board]\nlisten = "9465"\n'), environ={}).board
    assert (local.host, local.port, local.base_url) == ("127.0.0.1", 9465, "http://127.0.0.1:9465/")
    proxied = GOOD + '\n[board]\nlisten = "9465"\npublic_url = "https://coop.example.org/board"\n'
    assert load_config(write(tmp_path, proxied), environ={}).board.base_url == (
        "https://coop.example.org/board/"
    )
    everywhere = GOOD + '\n[board]\nlisten = "0.0.0.0:9465"\n'
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, everywhere), environ={})
    assert refused.value.problems == [
        "board.public_url: is required when board.listen is '0.0.0.0:9465' "
        "(the address people open the board at)"
    ]
    wrong = GOOD + '\n[board]\nlisten = "here"\npublic_url = "coop.example.org"\n'
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, wrong), environ={})
    assert [p.split(":")[0] for p in refused.value.problems] == ["board.public_url", "board.listen"]


def test_an_assembly_may_give_its_board_to_everyone(tmp_path: Path) -> None:
    public = GOOD.replace(
        'chairs = ["@ana:example.org"]\n', 'chairs = ["@ana:example.org"]\nboard_public = true\n'
    )
    assert load_config(write(tmp_path, public), environ={}).assemblies[0].board_public is True
    assert load_config(write(tmp_path, GOOD), environ={}).assemblies[0].board_public is False


def test_logging_takes_a_level_per_logger_and_a_format(tmp_path: Path) -> None:
    text = GOOD + '\n[logging]\nlevel = "warning"\nformat = "json"\n'
    text += '[logging.levels]\n"bot.matrix" = "DEBUG"\nnio = "error"\n'
    logs = load_config(write(tmp_path, text), environ={}).logging
    assert (logs.level, logs.format) == ("WARNING", "json")
    assert logs.levels == (("bot.matrix", "DEBUG"), ("nio", "ERROR"))
    bad = GOOD + '\n[logging]\nformat = "xml"\n[logging.levels]\nnio = "loud"\n'
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, bad), environ={})
    assert [p.split(":")[0] for p in refused.value.problems] == [
        "logging.format",
        'logging.levels."nio"',
    ]


def test_check_config_online_asks_the_provider_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeLibreTranslate() as server:
        libre = f'[translation]\nprovider = "libre"\nurl = "{server.url}"\n'
        path = write(tmp_path, GOOD.replace('[translation]\nprovider = "none"\n', libre))
        assert main(["check-config", "--online", str(path)]) == 0
        assert 'answered "Good morning" → "Buenos días"' in capsys.readouterr().out
        assert server.requests == ["Good morning"]
        server.fail_next(1, status=500)
        assert main(["check-config", "--online", str(path)]) == 1
        assert "FAIL  translation: libre at" in capsys.readouterr().out


def test_check_config_help_says_where_each_provider_sends_the_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["check-config", "--help"])
    shown = capsys.readouterr().out
    assert "translation.provider is required" in shown
    for provider in ("libre", "deepl", "microsoft", "google", "mymemory", "none"):
        assert f"\n  {provider} " in shown


def test_a_person_of_one_center_counts_there_from_any_room(tmp_path: Path) -> None:
    centers = 'member_centers = { "@beto:example.org" = "MX" }\n'
    config = load_config(write(tmp_path, GOOD.replace("chairs = [", centers + "chairs = [")), {})
    assert config.assemblies[0].member_centers == {"@beto:example.org": "MX"}

    wrong = 'member_centers = { "@beto:example.org" = "CA", "beto" = "MX" }\n'
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, GOOD.replace("chairs = [", wrong + "chairs = [")), {})
    problems = "\n".join(error.value.problems)
    assert 'assemblies[0].member_centers."@beto:example.org": expected one of' in problems
    assert "(MX, US)" in problems and "got 'beto'" in problems


def test_secret_polls_keep_centers_of_fewer_than_three_ballots_secret_unless_told(
    tmp_path: Path,
) -> None:
    assert load_config(write(tmp_path, GOOD), {}).assemblies[0].secret_min_per_center == 3
    five = GOOD.replace("chairs = [", "secret_min_per_center = 5\nchairs = [")
    assert load_config(write(tmp_path, five), {}).assemblies[0].secret_min_per_center == 5
    for wrong in ("0", "2.5", '"3"', "true"):
        text = GOOD.replace("chairs = [", f"secret_min_per_center = {wrong}\nchairs = [")
        with pytest.raises(ConfigError) as error:
            load_config(write(tmp_path, text), {})
        [problem] = error.value.problems
        assert problem.startswith("assemblies[0].secret_min_per_center: expected a whole number")


def test_the_example_config_names_the_secret_floor() -> None:
    example = Path(__file__).parents[2] / "config.example.toml"
    assert "\nsecret_min_per_center = 3\n" in example.read_text(encoding="utf-8")
