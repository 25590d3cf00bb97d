"""The decision register's SQL: the one owner of `decision_register`, an FTS5 index of every
agreement's and poll result's words, once per language.

The index's tokenizer (`unicode61 remove_diacritics 2`) folds case and accents, so
"presupuesto", "Presupuesto" and "presupuésto" are one word, and so are "decisión" and
"decision". Each row is one decision in one language: its original words, or a translation
(`machine` = 1), so a search in either language finds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.storage.database import Database, in_chunks

# Words shorter than this are matched whole; longer ones also as the start of a longer word
# ("budget" finds "budgets", "acuerdo" finds "acuerdos").
PREFIX_FROM = 4
# Runs of letters and digits: everything else (quotes, brackets, `*`) is no part of a word.
_PIECES = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class RegisterHit:
    decision_id: int
    rank: float


def match_expression(words: Sequence[str]) -> str | None:
    """An FTS5 query that finds rows holding every word: each word quoted, so that nothing a
    person types (quotes, `OR`, `NEAR`, a column name) is read as query syntax."""
    terms = []
    # The tokenizer splits "co-op" into "co" and "op": so does the query.
    for piece in (p for word in words for p in _PIECES.findall(word)):
        quoted = f'"{piece}"'
        terms.append(quoted + "*" if len(piece) >= PREFIX_FROM else quoted)
    return " AND ".join(terms) or None


class RegisterStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def indexed(self, assembly: str) -> set[tuple[int, str]]:
        """(decision id, language) of every row of the assembly's register."""
        rows = await self.db.fetch_all(
            "SELECT decision_id, language FROM decision_register WHERE assembly = ?", (assembly,)
        )
        return {(int(row["decision_id"]), str(row["language"])) for row in rows}

    async def add(
        self, decision_id: int, assembly: str, language: str, text: str, *, machine: bool
    ) -> None:
        await self.db.execute(
            "INSERT INTO decision_register (text, decision_id, assembly, language, machine) "
            "VALUES (?, ?, ?, ?, ?)",
            (text, decision_id, assembly, language, int(machine)),
        )

    async def forget(self, decision_ids: Iterable[int]) -> None:
        ids = list(decision_ids)
        for chunk in in_chunks(ids):
            marks = ", ".join("?" for _ in chunk)
            await self.db.execute(
                f"DELETE FROM decision_register WHERE decision_id IN ({marks})", tuple(chunk)
            )

    async def search(self, assembly: str, words: Sequence[str], limit: int) -> list[RegisterHit]:
        """The decisions whose words, in any language, hold every one of `words`; best first."""
        expression = match_expression(words)
        if expression is None:
            return []
        # bm25 cannot be aggregated in SQL: the best row of each decision is kept here.
        rows = await self.db.fetch_all(
            "SELECT decision_id, rank FROM decision_register "
            "WHERE decision_register MATCH ? AND assembly = ? ORDER BY rank, decision_id DESC",
            (expression, assembly),
        )
        best: dict[int, float] = {}
        for row in rows:
            best.setdefault(int(row["decision_id"]), float(row["rank"]))
        return [RegisterHit(decision, rank) for decision, rank in list(best.items())[:limit]]
