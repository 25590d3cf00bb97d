"""Run a throw-away Synapse homeserver on loopback.

Used by ``asamblea demo`` and by the integration tests: everything (config,
signing key, sqlite database, media, logs) lives in one working directory, the
server listens only on 127.0.0.1 and never federates.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import yaml
from signedjson.key import generate_signing_key, write_signing_keys

RateLimits = Literal["relaxed", "tight"]

SERVER_NAME = "localhost"
_POLL_INTERVAL = 0.1
_HTTP_TIMEOUT = 10.0

# Effectively "no limit": tests and the demo create many rooms, joins and
# messages in a burst, and Synapse's defaults (e.g. ~1 room per minute after a
# burst of 10) would make them flaky.
_UNLIMITED: dict[str, float] = {"per_second": 10_000, "burst_count": 100_000}

# Low enough that a short burst of messages gets M_LIMIT_EXCEEDED.
_TIGHT_MESSAGES: dict[str, float] = {"per_second": 0.5, "burst_count": 3}

# Settings parsed as RatelimitSettings by synapse/config/ratelimiting.py
# (dotted names are nested keys).
_RATE_LIMIT_KEYS = (
    "rc_message",
    "rc_registration",
    "rc_registration_token_validity",
    "rc_login.address",
    "rc_login.account",
    "rc_login.failed_attempts",
    "rc_admin_redaction",
    "rc_joins.local",
    "rc_joins.remote",
    "rc_joins_per_room",
    "rc_key_requests",
    "rc_3pid_validation",
    "rc_invites.per_room",
    "rc_invites.per_user",
    "rc_invites.per_issuer",
    "rc_third_party_invite",
    "rc_media_create",
    "rc_presence.per_user",
    "rc_delayed_event_mgmt",
    "rc_room_creation",
    "rc_reports",
    "rc_user_directory",
    "rc_profile",
)


class SynapseError(RuntimeError):
    """The local homeserver failed to start or answered an API call badly."""


@dataclass(frozen=True)
class RegisteredAccount:
    user_id: str
    password: str
    access_token: str
    device_id: str

    @property
    def localpart(self) -> str:
        return self.user_id[1:].split(":", 1)[0]


def free_port() -> int:
    """Ask the kernel for an unused loopback port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rate_limit_config(mode: RateLimits) -> dict[str, Any]:
    """Build the rc_* section of homeserver.yaml for the given mode."""
    if mode not in ("relaxed", "tight"):
        raise ValueError(f"unknown rate_limits mode: {mode!r}")
    config: dict[str, Any] = {}
    for key in _RATE_LIMIT_KEYS:
        value = dict(_UNLIMITED)
        if mode == "tight" and key == "rc_message":
            value = dict(_TIGHT_MESSAGES)
        node = config
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return config


def _log_config(log_file: Path) -> dict[str, Any]:
    # Only warnings and errors: INFO logging slows Synapse down noticeably and
    # tests only need the log when something went wrong.
    return {
        "version": 1,
        "formatters": {
            "precise": {"format": "%(asctime)s - %(name)s - %(levelname)s - %(message)s"}
        },
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "formatter": "precise",
                "filename": str(log_file),
                "encoding": "utf8",
            }
        },
        "root": {"level": "WARNING", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }


class LocalSynapse:
    """A Synapse process bound to 127.0.0.1, with all state in ``workdir``.

    ``stop()`` followed by ``start()`` restarts on the same port with the same
    database, so a test can simulate the homeserver going away for a while.
    """

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        rate_limits: RateLimits = "relaxed",
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.port = port if port is not None else free_port()
        self.rate_limits: RateLimits = rate_limits
        self.server_name = SERVER_NAME
        self._process: subprocess.Popen[bytes] | None = None
        self._shared_secret: str | None = None

    # -- paths and properties -------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.workdir / "homeserver.yaml"

    @property
    def log_path(self) -> Path:
        """Synapse's own (WARNING-level) log."""
        return self.workdir / "homeserver.log"

    @property
    def process_log_path(self) -> Path:
        """stdout/stderr of the process (start-up tracebacks land here)."""
        return self.workdir / "process.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- configuration ----------------------------------------------------------

    def _prepare(self) -> None:
        """Write config, log config and signing key, once per workdir."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.config_path.exists():
            # Reuse the existing secret so restarts keep working; rewrite the
            # rest in case the port or rate-limit mode changed.
            existing = yaml.safe_load(self.config_path.read_text())
            self._shared_secret = existing["registration_shared_secret"]
        if self._shared_secret is None:
            self._shared_secret = secrets.token_hex(32)
        self._write_signing_key()
        log_config_path = self.workdir / "log_config.yaml"
        log_config_path.write_text(yaml.safe_dump(_log_config(self.log_path)))
        config = self._homeserver_config(log_config_path)
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))

    def _write_signing_key(self) -> None:
        # Generating it ourselves avoids running Synapse once with
        # --generate-keys, which costs a whole interpreter start-up.
        key_path = self.workdir / "signing.key"
        if key_path.exists():
            return
        key = generate_signing_key("a_" + secrets.token_hex(2))
        with key_path.open("w") as handle:
            write_signing_keys(handle, [key])

    def _homeserver_config(self, log_config_path: Path) -> dict[str, Any]:
        config: dict[str, Any] = {
            "server_name": self.server_name,
            "public_baseurl": self.base_url + "/",
            "pid_file": str(self.workdir / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    # "client" also mounts /_synapse/admin, needed to register.
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(self.workdir / "homeserver.db")},
            },
            "log_config": str(log_config_path),
            "media_store_path": str(self.workdir / "media_store"),
            "signing_key_path": str(self.workdir / "signing.key"),
            "registration_shared_secret": self._shared_secret,
            "enable_registration": False,
            "report_stats": False,
            "enable_metrics": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            # Nobody to federate with: refuse every remote server.
            "federation_domain_whitelist": [],
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            # bcrypt cost dominates register/login time; these are test passwords.
            "bcrypt_rounds": 4,
        }
        config.update(rate_limit_config(self.rate_limits))
        return config

    # -- process lifecycle --------------------------------------------------------

    def start(self, timeout: float = 60.0) -> None:
        """Launch Synapse and block until the client API answers."""
        if self.running:
            return
        self._prepare()
        with self.process_log_path.open("ab") as out:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Own process group, so stop() can signal it without touching us.
                start_new_session=True,
            )
        try:
            self._wait_until_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = self.base_url + "/_matrix/client/versions"
        while True:
            assert self._process is not None
            code = self._process.poll()
            if code is not None:
                raise SynapseError(
                    f"Synapse exited with code {code} during start-up.\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise SynapseError(
                    f"Synapse did not answer on {url} within {timeout:.0f}s.\n{self.log_tail()}"
                )
            time.sleep(_POLL_INTERVAL)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL it if it lingers, then reap it."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        self._signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(process, signal.SIGKILL)
            process.wait()

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)

    def log_tail(self, lines: int = 40) -> str:
        """Last lines of both log files, for error messages."""
        parts = []
        for path in (self.process_log_path, self.log_path):
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name} ---\n" + "\n".join(tail))
        return "\n".join(parts) or "(no log output)"

    def __enter__(self) -> LocalSynapse:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- accounts ---------------------------------------------------------------------

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self.server_name}"

    def register(
        self,
        localpart: str,
        password: str,
        admin: bool = False,
        displayname: str | None = None,
    ) -> RegisteredAccount:
        """Create an account via the shared-secret admin API.

        If the account already exists (e.g. a reused demo directory) log in
        with the password instead, so callers get a working token either way.
        """
        if self._shared_secret is None:
            raise SynapseError("start() the homeserver before registering accounts")
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        body: dict[str, Any] = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": _registration_mac(self._shared_secret, nonce, localpart, password, admin),
        }
        if displayname is not None:
            body["displayname"] = displayname
        try:
            result = self._request("POST", "/_synapse/admin/v1/register", body)
        except _HTTPError as err:
            if err.errcode != "M_USER_IN_USE":
                raise
            return self.login(localpart, password)
        return RegisteredAccount(
            user_id=result["user_id"],
            password=password,
            access_token=result["access_token"],
            device_id=result["device_id"],
        )

    def login(self, localpart: str, password: str) -> RegisteredAccount:
        """Password login; creates a new device and access token."""
        result = self._request(
            "POST",
            "/_matrix/client/v3/login",
            {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": localpart},
                "password": password,
            },
        )
        return RegisteredAccount(
            user_id=result["user_id"],
            password=password,
            access_token=result["access_token"],
            device_id=result["device_id"],
        )

    def create_room(self, account: RegisteredAccount, name: str, invite: list[str]) -> str:
        """A private room created by `account`, with invites sent; returns its id."""
        result = self._request(
            "POST",
            "/_matrix/client/v3/createRoom",
            {"name": name, "preset": "private_chat", "invite": invite},
            token=account.access_token,
        )
        return str(result["room_id"])

    def lift_rate_limit(self, admin: RegisteredAccount, user_id: str) -> None:
        """Exempt one user from rate limits (with an admin account), e.g. people in a test
        whose homeserver keeps them tight for the bot."""
        self._request(
            "POST",
            f"/_synapse/admin/v1/users/{user_id}/override_ratelimit",
            {"messages_per_second": 0, "burst_count": 0},
            token=admin.access_token,
        )

    def invite(self, inviter: RegisteredAccount, room_id: str, user_id: str) -> None:
        """Invite `user_id`; someone already in the room stays there (Synapse's 403 for them is
        no error here, so that setting up twice is harmless)."""
        try:
            self._request(
                "POST",
                f"/_matrix/client/v3/rooms/{room_id}/invite",
                {"user_id": user_id},
                token=inviter.access_token,
            )
        except _HTTPError as err:
            if err.status != 403:
                raise

    def join_room(self, account: RegisteredAccount, room_id: str) -> None:
        self._request("POST", f"/_matrix/client/v3/join/{room_id}", {}, token=account.access_token)

    def _request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=_HTTP_TIMEOUT) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as err:
            raise _HTTPError.from_urllib(method, path, err) from None


class _HTTPError(SynapseError):
    def __init__(self, message: str, status: int, errcode: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.errcode = errcode

    @classmethod
    def from_urllib(cls, method: str, path: str, err: urllib.error.HTTPError) -> _HTTPError:
        raw = err.read().decode(errors="replace")
        try:
            errcode = json.loads(raw).get("errcode")
        except ValueError:
            errcode = None
        return cls(f"{method} {path} -> HTTP {err.code}: {raw}", err.code, errcode)


def _registration_mac(
    shared_secret: str, nonce: str, localpart: str, password: str, admin: bool
) -> str:
    # Format from Synapse's admin register API docs: NUL-separated fields.
    message = b"\x00".join(
        part.encode() for part in (nonce, localpart, password, "admin" if admin else "notadmin")
    )
    return hmac.new(shared_secret.encode(), message, hashlib.sha1).hexdigest()
