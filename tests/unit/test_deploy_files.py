"""The files an operator deploys with (Dockerfile, compose.yaml, the systemd unit, their example
configurations, constraints.txt) agree with the code: the command they run exists and parses,
the paths they keep state in are the paths the configurations name, the port they publish is
the listener's. Building the image is tested only on request (ASAMBLEA_TEST_DOCKER=1) on a
machine with a working Docker."""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from bot.cli import _parser
from bot.config import Config, load_config
from bot.settings import DEFAULT_OBSERVABILITY_PORT

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SCRIPT = next(iter(PYPROJECT["project"]["scripts"]))  # "asamblea"
CONTAINER_CONFIG = ROOT / "deploy" / "config.container.toml"
SYSTEMD_CONFIG = ROOT / "deploy" / "config.systemd.toml"


def dockerfile() -> dict[str, list[str]]:
    """Each instruction's arguments, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, rest = line.strip().partition(" ")
            found.setdefault(instruction.upper(), []).append(rest.strip())
    return found


def exec_form(argument: str) -> list[str]:
    return json.loads(argument)


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def unit() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(ROOT / "deploy" / "asamblea.service")
    return parser["Service"]


def example(path: Path) -> Config:
    return load_config(path, environ={"ASAMBLEA_PASSWORD": "x"})


def runs_the_bot(argv: list[str]) -> Path:
    """The configuration `asamblea <argv>` runs the bot with; fails unless it is `run`."""
    assert argv[0] == SCRIPT or argv[0].endswith(f"/{SCRIPT}"), argv
    assert PYPROJECT["project"]["scripts"][SCRIPT] == "bot.cli:main"
    args = _parser().parse_args(argv[1:])
    assert args.action.__name__ == "_run", argv
    return args.config


# -- the container -------------------------------------------------------------------------------


def test_the_image_runs_the_bot_with_the_configuration_on_its_volume() -> None:
    instructions = dockerfile()
    [entrypoint], [command] = instructions["ENTRYPOINT"], instructions["CMD"]
    config = runs_the_bot(exec_form(entrypoint) + exec_form(command))
    [volume] = [PurePosixPath(v) for v in exec_form(instructions["VOLUME"][0])]
    assert PurePosixPath(config).parent == volume


def test_the_image_installs_the_tested_versions_as_a_user_of_its_own() -> None:
    instructions = dockerfile()
    assert any("-c constraints.txt" in step for step in instructions["RUN"])
    assert instructions["FROM"][0].startswith("python:3.11-slim")
    assert instructions["USER"] == ["asamblea"]


def test_the_container_example_keeps_its_state_on_the_volume() -> None:
    [volume] = exec_form(dockerfile()["VOLUME"][0])
    config = example(CONTAINER_CONFIG)
    assert config.database_path.parent == Path(volume)
    assert config.matrix.encryption.store_path is not None
    assert config.matrix.encryption.store_path.parent == Path(volume)


def test_the_port_is_the_listeners_everywhere() -> None:
    instructions = dockerfile()
    assert instructions["EXPOSE"] == [str(DEFAULT_OBSERVABILITY_PORT)]
    assert f"127.0.0.1:{DEFAULT_OBSERVABILITY_PORT}/health" in instructions["HEALTHCHECK"][0]
    config = example(CONTAINER_CONFIG).observability
    assert (config.host, config.port) == ("0.0.0.0", DEFAULT_OBSERVABILITY_PORT)
    bot = compose()["services"]["asamblea"]
    assert bot["ports"] == [f"127.0.0.1:{DEFAULT_OBSERVABILITY_PORT}:{config.port}"]


def test_compose_runs_the_bot_beside_its_own_libretranslate() -> None:
    services = compose()["services"]
    [volume] = exec_form(dockerfile()["VOLUME"][0])
    config_path = runs_the_bot([SCRIPT, *exec_form(dockerfile()["CMD"][0])])
    mounts = [m.split(":") for m in services["asamblea"]["volumes"]]
    assert [name for name, target, *_ in mounts if target == volume] == ["asamblea-data"]
    assert ["./config.toml", str(config_path), "ro"] in mounts
    translator = services["libretranslate"]
    assert translator["image"].startswith("libretranslate/libretranslate:")
    assert translator["environment"]["LT_LOAD_ONLY"] == "en,es"
    assert "ports" not in translator  # nobody but the bot reaches it
    translation = example(CONTAINER_CONFIG).translation
    assert (translation.provider, translation.url) == ("libre", "http://libretranslate:5000")
    assert set(services["asamblea"]["environment"]) == {
        "ASAMBLEA_PASSWORD",
        "ASAMBLEA_ACCESS_TOKEN",
        "ASAMBLEA_TRANSLATION_API_KEY",
    }


# -- systemd -------------------------------------------------------------------------------------


def test_the_unit_runs_the_bot_and_keeps_its_state_in_its_state_directory() -> None:
    service = unit()
    config_path = runs_the_bot(shlex.split(service["ExecStart"]))
    assert config_path == Path("/etc/asamblea/config.toml")
    state = Path("/var/lib") / service["StateDirectory"]
    config = example(SYSTEMD_CONFIG)
    assert config.database_path.parent == state
    assert config.matrix.encryption.store_path == state / "asamblea-crypto"
    assert service["WorkingDirectory"] == str(state)


def test_the_unit_is_sandboxed() -> None:
    service = unit()
    expected = {
        "DynamicUser": "yes",
        "StateDirectory": "asamblea",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "Restart": "on-failure",
    }
    assert {key: service.get(key) for key in expected} == expected


# -- versions and commands -----------------------------------------------------------------------


def readme_command(heading: str) -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(rf"\*\*{heading}\*\*.*?```sh\n(.+?)\n```", readme, re.DOTALL)
    assert match, heading
    return match.group(1)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    command = readme_command("Test it")
    assert "-c constraints.txt" in command
    assert command in (ROOT / ".ci" / "run").read_text().splitlines()
    assert "-c constraints.txt" in readme_command("Run it")


def test_the_readme_says_which_python_it_needs_and_how_to_reach_the_command() -> None:
    readme = (ROOT / "README.md").read_text()
    before_running = readme.split("**Run it**")[1].split("```sh")[0]
    minimum = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert f"Python {minimum} or newer" in before_running
    # The install puts the command in .venv/bin: bare `asamblea` works once that is activated.
    first_bare = re.search(r"`asamblea [a-z]", readme)
    assert first_bare and readme.index(". .venv/bin/activate") < first_bare.start()


def test_the_readme_demo_commands_are_the_demos_own() -> None:
    """Each way the README runs the demo (without a translator, with a LibreTranslate) is one
    `asamblea demo` takes."""
    readme = (ROOT / "README.md").read_text()
    runs = re.findall(r"\.venv/bin/asamblea (demo[^\n`]*)", readme)
    assert any("--translation libre --url" in run for run in runs), runs
    for run in runs:
        args = _parser().parse_args(shlex.split(run))
        assert args.translation in ("none", "libre") and (args.url is None) == (
            args.translation == "none"
        )


def test_constraints_pin_every_dependency() -> None:
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[name.lower().replace("_", "-")] = version
    assert all(pinned.values())
    project = PYPROJECT["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    wanted += project["optional-dependencies"]["demo"]
    names = {re.split(r"[\[<>=~! ;]", r, maxsplit=1)[0].lower() for r in wanted}
    assert sorted(names - {"asamblea"} - set(pinned)) == []


# -- building the image (on request) -------------------------------------------------------------


def docker_usable() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    return subprocess.run([docker, "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(
    os.environ.get("ASAMBLEA_TEST_DOCKER") != "1", reason="set ASAMBLEA_TEST_DOCKER=1 to build"
)
def test_the_image_builds_and_checks_the_container_example() -> None:
    if not docker_usable():
        pytest.skip("docker is not installed or its daemon does not answer")
    tag = "asamblea:deploy-test"
    subprocess.run(["docker", "build", "-q", "-t", tag, str(ROOT)], check=True, timeout=1800)
    checked = subprocess.run(
        [
            "docker", "run", "--rm", "-e", "ASAMBLEA_PASSWORD=x",
            "-v", f"{CONTAINER_CONFIG}:/data/config.toml:ro",
            tag, "check-config", "/data/config.toml",
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "OK (1 assemblies)" in checked.stdout
