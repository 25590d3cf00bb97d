"""The road an event travels (bot/layers.py), checked against the code's own imports and against
the README that draws it.

Every module imports only from its own layer or the layers below it, relative imports included;
no two modules import each other, however far round, and no two folders do; each table has one
store, whatever the case its SQL names it in. A new import that runs back up the road fails here,
naming both ends. Each checker is also tried on a made-up case it must catch, so that none of
them can pass by seeing nothing.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from bot.layers import KNOWN_DEBT, LAYERS, NEVER, module_of

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("bot", "commands")
# Outside the road: the package itself (its version, which anything may read) and the road's
# own description.
OFF_THE_ROAD = ("bot", "bot.layers")

Graph = Mapping[str, Iterable[str]]


# -- reading the imports -------------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            found[module_name(path)] = path
    return found


def absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The module an import names, relative ones resolved: in bot/domain/x.py,
    `from ..app import build_core` names `bot.app` and `from . import polls` names `bot.domain`
    (whose `polls` the caller looks for)."""
    if node.level == 0:
        return node.module or ""
    package = module if is_package else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports_in(source: str, module: str, known: set[str], is_package: bool = False) -> set[str]:
    """The project modules `source` (the text of `module`) imports, at any depth (functions
    included), except imports made only for type checking."""
    tree = ast.parse(source)
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
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node, module, is_package)
            # `from package import module` imports the module; anything else, the module named.
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found - {module}


@cache
def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {
        name: imports_in(path.read_text(encoding="utf-8"), name, known, path.stem == "__init__")
        for name, path in found.items()
    }


# -- the checkers --------------------------------------------------------------------------------


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layer_of(module: str) -> int | None:
    for level, layer in enumerate(LAYERS):
        if any(within(module, prefix) for prefix in layer.modules):
            return level
    return None


def wrong_way(edges: Graph, debt: Iterable[tuple[str, str]] = KNOWN_DEBT) -> list[str]:
    """Each import that runs back up the road or crosses a line in NEVER, unless owed."""
    owed = set(debt)
    broken = []
    for importer, imported in sorted((a, b) for a, bs in edges.items() for b in bs):
        mine, theirs = layer_of(importer), layer_of(imported)
        if mine is None or theirs is None or (importer, imported) in owed:
            continue
        never = [
            rule.why
            for rule in NEVER
            if within(importer, module_of(rule.importer))
            and within(imported, module_of(rule.imported))
        ]
        if theirs > mine:
            never.insert(0, f"{LAYERS[mine].name} is below {LAYERS[theirs].name}")
        if never:
            broken.append(f"{importer} -> {imported} ({'; '.join(never)})")
    return broken


def circles(edges: Graph) -> list[str]:
    """Every way round from a node back to itself, one line per starting node."""
    found = []
    for start in sorted(edges):
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, path = stack.pop()
            for following in sorted(edges.get(node, ())):
                if following == start:
                    found.append(" -> ".join([*path, start]))
                elif following not in seen:
                    seen.add(following)
                    stack.append((following, [*path, following]))
    return found


def folder_of(module: str) -> str:
    """`bot.services.polls` is in `bot.services`, `commands.polls` in `commands`; a module at the
    top of bot/ (`bot.app`) stands for itself."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "bot" else parts[0]


def folders(edges: Graph) -> dict[str, set[str]]:
    joined: dict[str, set[str]] = {}
    for importer, imported in ((a, b) for a, bs in edges.items() for b in bs):
        mine, theirs = folder_of(importer), folder_of(imported)
        joined.setdefault(mine, set())
        if mine != theirs:
            joined[mine].add(theirs)
    return joined


def paid(debt: Iterable[tuple[str, str]], edges: Graph) -> list[tuple[str, str]]:
    """The debts whose import is gone: they leave the list, so it never hides a new import."""
    return sorted((a, b) for a, b in debt if b not in edges.get(a, ()))


# -- the road ------------------------------------------------------------------------------------


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in graph() if m not in OFF_THE_ROAD and layer_of(m) is None]
    assert unplaced == []


def test_every_path_on_the_road_is_there() -> None:
    missing = [
        path
        for layer in LAYERS
        for path in layer.paths
        if not ((ROOT / path).is_dir() if path.endswith("/") else (ROOT / path).is_file())
    ]
    missing += [
        p for rule in NEVER for p in (rule.importer, rule.imported) if not (ROOT / p).exists()
    ]
    assert missing == []


def test_no_import_runs_back_up_the_road() -> None:
    assert wrong_way(graph()) == []


def test_an_upward_import_is_caught_relative_or_not() -> None:
    known = set(modules()) | {"bot.domain.x"}
    upward = imports_in("from ..app import build_core\n", "bot.domain.x", known)
    assert upward == {"bot.app"}
    assert wrong_way({"bot.domain.x": upward}) == [
        "bot.domain.x -> bot.app (domain is below wiring)"
    ]
    assert imports_in("from bot.app import build_core\n", "bot.domain.x", known) == {"bot.app"}
    # The other shapes a relative import takes, from a module and from a package.
    assert imports_in("from . import polls\n", "bot.domain.x", known) == {"bot.domain.polls"}
    assert imports_in("from .polls import Poll\n", "bot.domain.x", known) == {"bot.domain.polls"}
    assert imports_in("from .polls import Poll\n", "bot.domain", known, is_package=True) == {
        "bot.domain.polls"
    }
    [crossing] = wrong_way({"bot.services.polls": {"bot.render.polls"}})
    assert crossing == f"bot.services.polls -> bot.render.polls ({NEVER[0].why})"


def test_no_two_modules_import_each_other() -> None:
    assert circles(graph()) == []


def test_no_two_folders_import_each_other() -> None:
    assert circles(folders(graph())) == []


def test_a_circle_between_folders_is_caught() -> None:
    # No module imports one that imports it back, yet the two folders go round.
    edges = {"bot.domain.polls": {"bot.i18n"}, "bot.i18n": {"bot.domain.wording"}}
    assert circles(edges) == []
    assert circles(folders(edges)) == [
        "bot.domain -> bot.i18n -> bot.domain",
        "bot.i18n -> bot.domain -> bot.i18n",
    ]


def test_known_debt_is_still_owed() -> None:
    assert paid(KNOWN_DEBT, graph()) == []


def test_a_debt_excuses_its_import_until_the_import_goes() -> None:
    debt = {("bot.domain.x", "bot.app")}
    assert wrong_way({"bot.domain.x": {"bot.app"}}, debt) == []
    assert paid(debt, {"bot.domain.x": {"bot.app"}}) == []
    assert paid(debt, {"bot.domain.x": set()}) == [("bot.domain.x", "bot.app")]


# -- the README draws the same road --------------------------------------------------------------


def readme_road() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### The road an event travels\n", 1)[1]
    return section.split("\n### ", 1)[0]


def table_rows(section: str) -> list[tuple[str, tuple[str, ...], str]]:
    """(layer, paths, job) of each row of the section's table, as written."""
    rows = []
    for line in section.splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        name, where, job = (cell.strip() for cell in line.strip().strip("|").split("|"))
        rows.append((name, tuple(re.findall(r"`([^`]+)`", where)), job))
    return rows[1:]  # the header


def never_lines(section: str) -> list[tuple[str, str, str]]:
    """(importer, imported, why) of each "- `a` never imports `b`: why" line."""
    joined = re.sub(r"\n  +", " ", section)
    return re.findall(r"^- `([^`]+)` never imports `([^`]+)`: (.+)\.$", joined, re.MULTILINE)


def test_the_readme_draws_this_road_highest_first() -> None:
    section = readme_road()
    assert table_rows(section) == [(layer.name, layer.paths, layer.job) for layer in LAYERS[::-1]]
    assert never_lines(section) == [(rule.importer, rule.imported, rule.why) for rule in NEVER]


# -- storage -------------------------------------------------------------------------------------

TABLE = re.compile(r"\b(?:from|join|into|update)\s+([a-z_][a-z0-9_]*)", re.IGNORECASE)
NOT_TABLES = {"excluded", "set"}  # an upsert's proposed row; `DO UPDATE SET`
SQL = re.compile(
    r"\b(?:select\b.*\bfrom|insert\s+(?:or\s+\w+\s+)?into|update\s+\w+\s+set|delete\s+from)\b",
    re.IGNORECASE | re.DOTALL,
)


DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def strings_in(source: str) -> list[str]:
    """The string literals in `source`, docstrings left out; an f-string's parts joined."""
    tree = ast.parse(source)
    skipped: set[int] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, DOCUMENTED) and ast.get_docstring(node, clean=False) is not None:
            skipped.add(id(node.body[0].value))
        if isinstance(node, ast.JoinedStr):
            skipped.update(id(part) for part in node.values)
            if id(node) not in skipped:
                found.append(
                    "".join(p.value if isinstance(p, ast.Constant) else "?" for p in node.values)
                )
    found += [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
    ]
    return found


def tables_named(source: str) -> set[str]:
    """The tables a module's SQL names (FROM, JOIN, INTO, UPDATE), in lower case: SQL does not
    care how a table's name is written, so neither does the owner check."""
    named = {t.lower() for text in strings_in(source) for t in TABLE.findall(text)}
    return named - NOT_TABLES


def shared_tables(stores: Mapping[str, str]) -> dict[str, list[str]]:
    """Each table named by more than one store (store name → its source)."""
    owners: dict[str, list[str]] = {}
    for store, source in sorted(stores.items()):
        for table in tables_named(source):
            owners.setdefault(table, []).append(store)
    return {table: names for table, names in owners.items() if len(names) > 1}


def test_each_table_has_one_store() -> None:
    """Each table is read and written by one store module."""
    stores = {
        path.stem: path.read_text(encoding="utf-8")
        for path in sorted((ROOT / "bot" / "storage").glob("*_store.py"))
    }
    assert shared_tables(stores) == {}


def test_a_table_named_in_another_case_has_the_same_owner() -> None:
    stores = {
        "a_store": 'SAVE = "insert into Foo (x) VALUES (?)"\n',
        "b_store": 'LOAD = "SELECT x FROM foo"\n',
        "c_store": 'def count():\n    """How many rows come from foo."""\n    return "select 1"\n',
    }
    assert shared_tables(stores) == {"foo": ["a_store", "b_store"]}
    assert tables_named('SQL = f"UPDATE Meetings SET title = ? WHERE {where}"') == {"meetings"}


def test_all_sql_lives_in_storage() -> None:
    elsewhere = [
        str(path.relative_to(ROOT))
        for folder in FOLDERS
        for path in (ROOT / folder).rglob("*.py")
        if "storage" not in path.parts
        and any(SQL.search(text) for text in strings_in(path.read_text(encoding="utf-8")))
    ]
    assert elsewhere == []
    assert [bool(SQL.search(t)) for t in ("delete from polls", "Select a language.")] == [
        True,
        False,
    ]
