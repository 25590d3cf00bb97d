"""Nothing is patched after it is built: no module sets an attribute on, or adds to a list of,
an object it did not construct. Each feature is handed what it needs when it is made (a port
for what comes later), so reading a constructor tells all an object depends on.

An object a function made itself (bound from a call in the same function, or made by the same
class's `__init__`) may be set up by it; anything else needs a line in ALLOWED saying why."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from bot.features.core import FEATURES, build_core
from tests.harness.offline import Seats, offline_core

ROOT = Path(__file__).resolve().parents[2]
GROWING = {"append", "extend", "insert", "update", "add", "setdefault"}
# (file, the object written to): why it may be.
ALLOWED = {
    ("bot/matrix/session.py", "self.client"): "nio reads its session from the client's fields",
    ("bot/domain/poll_input.py", "keywords"): "an accumulator its caller made for one reading",
    ("bot/matrix/encryption.py", "item"): "its own records of unreadable events (_pending)",
    ("bot/matrix/direct.py", "self._client"): "nio must know a chat it made is encrypted at once",
}


def _chain(node: ast.expr) -> tuple[str, int]:
    """The name an attribute chain starts from, and how many attributes deep it goes."""
    depth = 0
    while isinstance(node, ast.Attribute):
        node, depth = node.value, depth + 1
    return (node.id if isinstance(node, ast.Name) else ""), depth


def _made_by_a_call(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Await):
        value = value.value
    return isinstance(value, ast.Call)


def _local_objects(function: ast.AST) -> set[str]:
    """Names a function binds to something it constructed (a call's result)."""
    made = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and _made_by_a_call(node.value):
            made |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return made


def _own_objects(tree: ast.Module) -> set[str]:
    """`self.x` attributes a class's `__init__` constructs itself."""
    made = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            for statement in ast.walk(node):
                if isinstance(statement, ast.Assign) and _made_by_a_call(statement.value):
                    made |= {ast.unparse(t) for t in statement.targets}
    return made


def _writes(function: ast.AST) -> Iterator[tuple[int, ast.expr, str]]:
    """(line, the object written to, what is done): attribute set, or list grown."""
    for node in ast.walk(function):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(element, ast.Attribute):
                    yield node.lineno, element.value, f"sets {ast.unparse(element)}"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in GROWING
            and isinstance(node.func.value, ast.Attribute)
        ):
            yield node.lineno, node.func.value.value, f"grows {ast.unparse(node.func.value)}"


def patches_in(relative: str, source: str) -> list[str]:
    tree = ast.parse(source)
    own = _own_objects(tree)
    found = []
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for function in functions:
        local = _local_objects(function)
        for line, owner, what in _writes(function):
            name, depth = _chain(owner)
            written = ast.unparse(owner)
            fine = (
                (name in ("self", "cls") and depth == 0)
                or (depth == 0 and name in local)
                or written in own
                or (relative, written) in ALLOWED
            )
            if not fine:
                found.append(f"{relative}:{line}: {what}")
    return sorted(set(found))


def test_no_module_patches_an_object_it_did_not_construct() -> None:
    found = []
    for folder in ("bot", "commands"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = str(path.relative_to(ROOT))
            found += patches_in(relative, path.read_text(encoding="utf-8"))
    assert found == []


def test_the_check_catches_the_patching_it_forbids() -> None:
    wiring = """
def build(platform, core, sender, runtime):
    sender.finish = core.delivery.finish
    runtime.pruning.extend(core.pruning)
    core.closing += [platform.close]
    made = Thing()
    made.ready = True
"""
    assert patches_in("bot/app.py", wiring) == [
        "bot/app.py:3: sets sender.finish",
        "bot/app.py:4: grows runtime.pruning",
        "bot/app.py:5: sets core.closing",
    ]


def test_every_table_belongs_to_exactly_one_feature() -> None:
    """The features' declarations name every table the migrations make, once each."""
    import re

    source = (ROOT / "bot" / "storage" / "migrations.py").read_text(encoding="utf-8")
    made = set(re.findall(r"CREATE (?:VIRTUAL )?TABLE (\w+)", source))
    core = _offline_core()
    declared = [table for feature in core.features for table in feature.tables]
    assert sorted(declared) == sorted(set(declared)), "a table declared twice"
    assert set(declared) == made


def test_each_intake_has_one_feature_and_every_feature_is_built() -> None:
    core = _offline_core()
    names = [feature.name for feature in core.features]
    assert names[0] == "general" and len(names) == len(FEATURES) + 2
    assert len(set(names)) == len(names)


def _offline_core():
    import asyncio

    from bot.storage.database import Database

    async def build():
        db = await Database.open(":memory:")
        config = {
            "matrix": {"homeserver": "http://127.0.0.1:1", "user_id": "@bot:t", "password": "x"},
            "translation": {"provider": "none"},
            "assemblies": [
                {
                    "name": "A",
                    "chairs": ["@chair:t"],
                    "rooms": [
                        {"room": "!en:t", "language": "en", "center": "US"},
                        {"room": "!es:t", "language": "es", "center": "MX"},
                    ],
                }
            ],
        }
        core = offline_core(db, config, Seats({}))
        await db.close()
        return core

    return asyncio.run(build())


assert build_core  # the wiring this file keeps honest
