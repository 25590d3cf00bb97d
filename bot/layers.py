"""The road an event travels, written once: the layers of the code, lowest first, each with its job.

The README ("Development" → "The road an event travels") shows this table word for word, the
highest layer first, and tests/unit/test_architecture.py holds every import to it: a module
imports from its own layer and the layers below it, never from one above, and never across a
line in `NEVER`. A test fails when the README and this module differ.

Nothing in the bot imports this module; it describes the bot.
"""

from __future__ import annotations

from dataclasses import dataclass


def module_of(path: str) -> str:
    """The dotted name a path holds: `bot/matrix/` is `bot.matrix`, `bot/app.py` is `bot.app`."""
    return path.removesuffix("/").removesuffix(".py").replace("/", ".")


@dataclass(frozen=True)
class Layer:
    name: str
    paths: tuple[str, ...]  # a folder ends in "/", a single module in ".py"
    job: str

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(module_of(path) for path in self.paths)


@dataclass(frozen=True)
class Never:
    """An import that never happens, whatever the order of the layers."""

    importer: str  # a path, as in `Layer.paths`
    imported: str
    why: str


LAYERS: tuple[Layer, ...] = (
    Layer(
        "domain",
        ("bot/domain/",),
        "The values every layer shares (events, outcomes, messages to be worded, command errors, "
        "meetings, polls, the authority model, who sits in which room) and the pure logic: stack "
        "order, tallies, language equity in the minutes, reading `!poll` and `!vote`, reminder "
        "times, text protection, fair use, durations. No I/O.",
    ),
    Layer(
        "configuration",
        ("bot/settings.py", "bot/config.py"),
        "The configuration file read and checked, every problem named by its dotted key "
        "(`config.py`), into the settings values the other layers take (`settings.py`).",
    ),
    Layer(
        "storage",
        ("bot/storage/",),
        "All SQL, one store per table; `migrations.py` holds the schema, one function per version.",
    ),
    Layer(
        "catalogs",
        ("bot/i18n/",),
        "The bot's own words in English and Spanish (`locales/{en,es}/*.po`): a message worded "
        "by its key, in a room's language.",
    ),
    Layer(
        "render",
        ("bot/render/",),
        "Every word a person reads, in the room's language: notices, native poll events, "
        "mirrored copies, the minutes. Render reads values, never the database.",
    ),
    Layer(
        "observability",
        ("bot/observability/",),
        "What an operator watches: counters that the layers above count, the `/health` and "
        "`/metrics` listener, the log set-up.",
    ),
    Layer(
        "delivery",
        ("bot/delivery.py",),
        "Outcomes become queued messages, worded per room by render, each with a transaction id "
        "fixed by its cause: services hand it values, and it alone turns them into Matrix "
        "content.",
    ),
    Layer(
        "services",
        ("bot/services/",),
        "The assembly's work: meetings, agenda, stack, polls and ballots, mirror, translation, "
        "interpretation, minutes, reminders. They return outcomes; every delayed job goes "
        "through one `Timers`.",
    ),
    Layer(
        "framework",
        ("bot/framework/",),
        "The dispatcher (a command to the router, any other event to the feature that took its "
        "named intake, all in one transaction), the router (parse → look up → fair use → "
        "permission → convert arguments → handler in a savepoint → outcomes; every error reply "
        "is made here), and what a feature declares.",
    ),
    Layer(
        "commands",
        ("commands/",),
        "Thin handlers, one class per command group: arguments in, a service call, outcomes "
        "(`reply`, `announce`, `React`) out. No SQL, no Matrix calls.",
    ),
    Layer(
        "matrix",
        ("bot/matrix/",),
        "Login, the sync loop, encryption and cross-signing, and the one sender that calls "
        "`room_send`, one lane per room.",
    ),
    Layer(
        "web",
        ("bot/web/",),
        "The meeting board over HTTP, read-only: its page, its server-sent events (one state "
        "per watched assembly, read again when the database has changed) and past meetings' "
        "minutes, each behind the assembly's token.",
    ),
    Layer(
        "features",
        ("bot/features/",),
        "Each capability declared in one place and built by one function from the shared "
        "platform: its commands, tables, intakes, status lines, start-up steps and loops; "
        "`core.py` lists them and installs each.",
    ),
    Layer(
        "wiring",
        ("bot/app.py", "bot/loops.py"),
        "Builds the Matrix side and the platform, hands every piece what it needs when it is "
        "made, and runs the loops; nothing registers itself on import or is patched after.",
    ),
    Layer(
        "command line",
        ("bot/cli/", "bot/__main__.py"),
        "The `asamblea` command (`python -m bot`): run, check-config, doctor, demo (with its "
        "throw-away Synapse, which the tests use too), meetings, minutes, report, calendar, "
        "crypto.",
    ),
)

NEVER: tuple[Never, ...] = (
    Never("bot/services/", "bot/render/", "services hand values to delivery, which words them"),
    Never(
        "bot/services/",
        "bot/matrix/",
        "services never call Matrix; delivery queues, the sender sends",
    ),
    Never("bot/render/", "bot/storage/", "render words values and reads no database"),
)

# Imports that break the rules today and are known, as (importer, imported) module names. Remove
# one when its import goes; never add one. None are owed now.
KNOWN_DEBT: frozenset[tuple[str, str]] = frozenset()
