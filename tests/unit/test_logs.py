"""Log lines as an operator's collector reads them: text or JSON, at the configured levels, and
never a secret, in the message or in an exception's text."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.observability.logs import REDACTED, Redactor, configure_logging
from bot.settings import LogFormat, LoggingSettings

PASSWORD = "correct horse battery staple"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    named = {name: logging.getLogger(name).level for name in ("nio", "bot.matrix", "bot")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in named.items():
        logging.getLogger(name).setLevel(old)


@pytest.mark.parametrize(
    "line",
    [
        "Authorization: Bearer opaque-token-123",
        "GET /_matrix/client/v3/sync?access_token=opaque-token-123&since=s1",
        "{'user_id': '@a:b', 'access_token': 'opaque-token-123', 'device_id': 'X'}",
        '{"access_token": "opaque-token-123"}',
        "('matrix.access_token', 'opaque-token-123')",
        "logged in with syt_YXNhbWJsZWE_opaque-token-123",
        '{"type": "m.login.password", "password": "opaque-token-123"}',
    ],
)
def test_secrets_are_recognised_by_their_shape(line: str) -> None:
    redacted = Redactor()(line)
    assert "opaque-token-123" not in redacted and REDACTED in redacted


def test_configured_secrets_are_redacted_wherever_they_appear() -> None:
    assert Redactor([PASSWORD, None, ""])(f"login with {PASSWORD}!") == f"login with {REDACTED}!"


def test_json_lines_carry_time_level_logger_message_and_exception(
    restore_logging: None,
) -> None:
    out = io.StringIO()
    configure_logging(LoggingSettings(format=LogFormat.JSON), secrets=[PASSWORD], stream=out)
    log = logging.getLogger("bot.matrix.runtime")
    log.info("logging in as %s", "@asamblea:example.org")
    try:
        raise RuntimeError(f"refused: {PASSWORD}")
    except RuntimeError:
        log.exception("login failed")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert set(first) == {"time", "level", "logger", "message"}
    assert (first["level"], first["logger"]) == ("INFO", "bot.matrix.runtime")
    assert first["message"] == "logging in as @asamblea:example.org"
    assert first["time"].endswith("+00:00")
    assert second["message"] == "login failed"
    assert "RuntimeError: refused: [redacted]" in second["exception"]
    assert PASSWORD not in out.getvalue()


def test_levels_per_logger(restore_logging: None) -> None:
    out = io.StringIO()
    settings = LoggingSettings(level="WARNING", levels=(("bot.matrix", "DEBUG"),))
    configure_logging(settings, stream=out)
    logging.getLogger("bot.matrix.sender").debug("sending message 1")
    logging.getLogger("bot.services.mirror").info("mirroring")
    logging.getLogger("nio.client").info("state event")
    logging.getLogger("bot.services.mirror").warning("giving up")
    lines = out.getvalue().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "DEBUG bot.matrix.sender: sending message 1",
        "WARNING bot.services.mirror: giving up",
    ]
