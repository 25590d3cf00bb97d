"""The README's command table tells the truth about who may use each command."""

from __future__ import annotations

import re
from pathlib import Path

from bot.domain.authority import Role
from bot.storage.database import Database
from tests.harness.offline import offline_core
from tests.unit.test_router_fuzz import RAW_CONFIG, SEATED

README = Path(__file__).resolve().parents[2] / "README.md"

# What the "Who" column says for each role.
WHO = {
    Role.ANYONE: {"anyone", "members"},
    Role.OPENER: {"standing chairs (or anyone: `who_may_start`)"},
    Role.CHAIR: {"chairs"},
    Role.CHAIR_NAMER: {"the opener, standing chairs"},
    Role.STANDING_CHAIR: {"standing chairs"},
    Role.INTERPRETER: {"interpreters"},
    Role.LANGUAGE_KEEPER: {"interpreters, chairs"},
    Role.CORRECTOR: {"interpreters (or members: `members_may_fix`)"},
    Role.SPEAKER: {"the speaker, chairs"},
    Role.BOARD_VIEWER: {"chairs (or anyone: `board_public`)"},
}


def command_table() -> dict[str, str]:
    """Each command name in the table's first column → that row's "Who"."""
    text = README.read_text(encoding="utf-8")
    table = text.split("## Commands", 1)[1]
    who_of: dict[str, str] = {}
    for line in table.splitlines():
        if not line.startswith("| `!"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        for name in re.findall(r"!([\w?+-]+)", cells[0]):
            who_of[name] = cells[-1]
    return who_of


async def test_every_command_is_in_the_readme_with_the_role_it_needs() -> None:
    db = await Database.open(":memory:")
    try:
        core = offline_core(db, RAW_CONFIG, SEATED)
        table = command_table()
        for bound in core.router.commands:
            spec = bound.spec
            assert spec.name in table, f"!{spec.name} is missing from the README's table"
            assert table[spec.name] in WHO[spec.needs], (
                f"README says {table[spec.name]!r} for !{spec.name}, which needs {spec.needs}"
            )
    finally:
        await db.close()
