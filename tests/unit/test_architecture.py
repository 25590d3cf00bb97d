"""The road an event travels, checked against the code's own imports: every module imports only
from its own layer or the layers below it, and no two modules import each other, however far
round. A new import that runs back up the road fails here, naming both ends."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A module may import from its own layer and the layers before it.
LAYERS: list[tuple[str, ...]] = [
    ("bot.domain", "bot.settings"),
    ("bot.i18n", "bot.storage", "bot.render", "bot.config", "bot.observability"),
    ("bot.delivery",),
    ("bot.services",),
    ("bot.framework",),
    ("commands",),
    ("bot.matrix",),
    ("bot.app", "bot.cli"),
]
# Imports that never go, whatever the layers: services hand values to delivery (a layer below
# them), which alone words them (render) into Matrix events; render words values and reads no
# database.
NEVER = [
    ("bot.services", "bot.render"),
    ("bot.services", "bot.matrix"),
    ("bot.render", "bot.storage"),
]
# Imports that break the rules today and are known. Remove a line when its import goes; never
# add one. (None are owed now.)
KNOWN_DEBT: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for folder in ("bot", "commands"):
        for path in (ROOT / folder).rglob("*.py"):
            found[module_name(path)] = path
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports, at any depth (functions included), except imports
    made only for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import module` imports the module; anything else, the module named.
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in known
                else node.module
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def layer_of(module: str) -> int | None:
    for level, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    return None


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(path, known) - {name} for name, path in found.items()}


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in graph() if m not in ("bot", "commands", "bot.__main__")]
    assert [m for m in unplaced if layer_of(m) is None] == []


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_no_import_runs_back_up_the_road() -> None:
    broken = []
    for importer, imported in sorted((a, b) for a, bs in graph().items() for b in bs):
        mine, theirs = layer_of(importer), layer_of(imported)
        if mine is None or theirs is None or (importer, imported) in KNOWN_DEBT:
            continue
        never = any(within(importer, a) and within(imported, b) for a, b in NEVER)
        if theirs > mine or never:
            broken.append(f"{importer} -> {imported}")
    assert broken == []


def test_known_debt_is_still_owed() -> None:
    """A debt paid off leaves the list, so the list never hides a new import."""
    edges = {(a, b) for a, bs in graph().items() for b in bs}
    assert sorted(KNOWN_DEBT - edges) == []


def test_no_two_modules_import_each_other() -> None:
    edges = graph()
    cycles = []
    for start in sorted(edges):
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, path = stack.pop()
            for following in edges.get(node, ()):
                if following == start:
                    cycles.append(" -> ".join([*path, start]))
                elif following not in seen:
                    seen.add(following)
                    stack.append((following, [*path, following]))
    assert cycles == []


def tables_named(path: Path) -> set[str]:
    """The tables a store module's SQL names (FROM, JOIN, INTO, UPDATE, DELETE FROM)."""
    sql = re.findall(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_]+)", path.read_text(encoding="utf-8"))
    return {table for table in sql if table not in ("excluded",)}


def test_each_table_has_one_store() -> None:
    """All SQL lives in bot/storage, and each table is read and written by one store module."""
    owners: dict[str, list[str]] = {}
    for path in sorted((ROOT / "bot" / "storage").glob("*_store.py")):
        for table in tables_named(path):
            owners.setdefault(table, []).append(path.stem)
    shared = {table: stores for table, stores in owners.items() if len(stores) > 1}
    assert shared == {}
    elsewhere = [
        str(path.relative_to(ROOT))
        for folder in ("bot", "commands")
        for path in (ROOT / folder).rglob("*.py")
        if "storage" not in path.parts
        and re.search(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b", path.read_text())
    ]
    assert elsewhere == []
