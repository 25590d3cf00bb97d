"""Log set-up from the `[logging]` section: a level, levels per logger, text or JSON lines.

Whatever the format, every line passes through one redaction: the configured secrets (password,
access token, translation key) and anything shaped like a Matrix access token or an
Authorization header become "[redacted]". The bot never logs them on purpose; this keeps a
library's debug line or an exception's text from doing so.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.settings import LogFormat, LoggingSettings

REDACTED = "[redacted]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Shapes of secrets whatever their value: Synapse's access tokens, bearer headers, and an access
# token or password after its name in a query string, a dict or JSON body (nio's debug lines),
# or a key-value pair (aiosqlite's debug lines of the bot's own kv table).
SECRET_SHAPES = re.compile(
    r"\bsyt_[A-Za-z0-9_-]+"
    r"|(?<=Bearer )[^\s'\",]+"
    r"|(?<=access_token=)[^&\s'\"]+"
    r"|(?<=access_token['\"]: ['\"])[^'\"]+"
    r"|(?<=access_token['\"], ['\"])[^'\"]+"
    r"|(?<=password['\"]: ['\"])[^'\"]+"
)


class Redactor:
    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # Longest first, so that a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return SECRET_SHAPES.sub(REDACTED, text)


class TextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and exception
    when there is one."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self._redact(record.getMessage()),
        }
        if record.exc_info:
            line["exception"] = self._redact(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = self._redact(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False)


def configure_logging(
    settings: LoggingSettings,
    *,
    verbose: bool = False,
    secrets: Iterable[str | None] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Replace the root logger's handlers by one writing to `stream` (standard error) in the
    configured format. `verbose` (the command line's -v) makes everything DEBUG."""
    redact = Redactor(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    json_lines = settings.format == LogFormat.JSON
    handler.setFormatter(JsonFormatter(redact) if json_lines else TextFormatter(redact))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else settings.level)
    levels = dict(settings.levels)
    if not verbose:
        # nio narrates every state event at INFO: quiet unless asked for.
        logging.getLogger("nio").setLevel(levels.pop("nio", "WARNING"))
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    return handler
