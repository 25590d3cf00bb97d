"""A message as a person reads it.

The bot isolates every name it places in a plain body (FSI … PDI, `bot.domain.names.isolate`),
and those marks are invisible: tests of what a message says compare its words without them.
Tests of the isolation itself read the raw body.
"""

from __future__ import annotations

from bot.domain.names import FSI, PDI


def as_read(text: str) -> str:
    return text.replace(FSI, "").replace(PDI, "")
