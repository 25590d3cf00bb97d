"""Runs the real Asamblea application in the test's event loop, against the test homeserver."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.app import Asamblea, Tuning
from bot.config import load_config
from bot.services.mirror import MirrorTuning
from tests.harness.time_machine import TimeMachine

# Short long-polls and retries keep the suite quick; behaviour is the same as in production.
TEST_TUNING = Tuning(
    sync_timeout_ms=5_000,
    backoff_initial=0.2,
    backoff_maximum=2.0,
    mirror=MirrorTuning(cooldown_seconds=1.0, retry_seconds=0.5),
)


@dataclass(frozen=True)
class RoomPair:
    english: str
    spanish: str


def write_config(
    path: Path,
    *,
    homeserver: str,
    bot_user_id: str,
    bot_password: str,
    rooms: RoomPair,
    chairs: list[str],
    translation: str = 'provider = "none"',
    assembly_extra: str = "",
) -> Path:
    chair_list = ", ".join(f'"{chair}"' for chair in chairs)
    path.write_text(
        f"""
[matrix]
homeserver = "{homeserver}"
user_id = "{bot_user_id}"
password = "{bot_password}"

[bot]
database = "asamblea.db"

[translation]
{translation}

[[assemblies]]
name = "Asamblea de prueba"
chairs = [{chair_list}]
{assembly_extra}

[[assemblies.rooms]]
room = "{rooms.english}"
language = "en"
center = "US"
timezone = "America/New_York"

[[assemblies.rooms]]
room = "{rooms.spanish}"
language = "es"
center = "MX"
timezone = "America/Mexico_City"
""",
        encoding="utf-8",
    )
    return path


class BotRunner:
    def __init__(
        self,
        config_path: Path,
        tuning: Tuning = TEST_TUNING,
        time_machine: TimeMachine | None = None,
    ) -> None:
        """With a `time_machine`, the bot's timers fire when the test moves time on."""
        self.config_path = config_path
        self.tuning = tuning
        self.time_machine = time_machine
        self.app: Asamblea | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 30.0) -> Asamblea:
        config = load_config(self.config_path)
        if self.time_machine is None:
            self.app = Asamblea(config, self.tuning)
        else:
            machine = self.time_machine
            self.app = Asamblea(config, self.tuning, scheduler=machine, clock=machine.now)
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self.app.run(self._stop), name="asamblea")
        ready = asyncio.create_task(self.app.ready.wait())
        done, _ = await asyncio.wait(
            {ready, self._task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if self._task in done:
            ready.cancel()
            self._task.result()
            raise RuntimeError("the bot stopped before it was ready")
        if ready not in done:
            ready.cancel()
            raise TimeoutError("the bot did not finish its first sync in time")
        return self.app

    async def stop(self) -> None:
        if self._task is None or self._stop is None:
            return
        self._stop.set()
        await asyncio.wait_for(self._task, 30)
        self._task = None

    async def restart(self) -> Asamblea:
        await self.stop()
        return await self.start()


class BotProcess:
    """The bot as its own process (`python -m bot run`), for tests that kill it outright."""

    def __init__(self, config_path: Path) -> None:
        self.config_path = config_path
        self.log_path = config_path.with_suffix(".log")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--config", str(self.config_path)],
                stdout=log,
                stderr=log,
            )

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, whatever the bot was doing."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=30)
            self._process = None

    def stop(self) -> int | None:
        if self._process is None:
            return None
        self._process.send_signal(signal.SIGTERM)
        code = self._process.wait(timeout=30)
        self._process = None
        return code

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
