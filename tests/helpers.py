"""Small helpers the test files share (issue 20: one copy instead of one per file).

Plain functions over a DSN, each on its own autocommit connection, and a factory for the
"seeded" fixture that several files declare. conftest.py keeps the fixtures and helpers that
pytest itself wires (the server, the template databases, `rows`, `reconcile`, `fix`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from conftest import ROOT, decimal_json, rows


def one(dsn: str, sql: str, params: object = None, *, decimals: bool = False) -> object:
    """The first column of the first row (None for a statement that returns nothing).

    decimals=True reads JSON numbers as Decimal (conftest.decimal_json)."""
    with psycopg.connect(dsn, autocommit=True) as c:
        if decimals:
            decimal_json(c)
        cur = c.execute(sql, params)
        row = cur.fetchone() if cur.description else None
        return row[0] if row else None


#: The same helper under the names the test files used for it.
q1 = scalar = one


def q(dsn: str, sql: str, params: object = None) -> list[tuple]:
    """A query's rows as tuples ([] for a statement that returns nothing)."""
    with psycopg.connect(dsn, autocommit=True) as c:
        cur = c.execute(sql, params)
        return cur.fetchall() if cur.description else []


def snapshot(dsn: str, *tables: str, counted: bool = False) -> dict[str, str]:
    """md5 of every row of each table, in text order: equal means unchanged.

    counted=True appends the row count (test_guards' form)."""
    tail = " || count(*)" if counted else ""
    with psycopg.connect(dsn, autocommit=True) as c:
        return {t: c.execute("SELECT md5(COALESCE(string_agg(x::text, ',' ORDER BY x::text),"
                             " ''))" + tail + f" FROM {t} AS x").fetchone()[0] for t in tables}


def row_snapshot(dsn: str, *tables: str) -> dict[str, list[str]]:
    """Every row of the tables, as text, sorted: to show that a refused call changed nothing
    (and, unlike `snapshot`, to show which row changed when it did)."""
    return {t: sorted(str(tuple(r.values())) for r in rows(dsn, f"SELECT * FROM {t}"))
            for t in tables}


def seeded_with(*files: str, doc: str | None = None) -> Callable[..., str]:
    """A function-scoped fixture: a fresh clone of the template with these tests/fixtures/
    files loaded (conftest's fixture_template). Declare it as `seeded = seeded_with(...)`."""

    @pytest.fixture
    def seeded(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
        return make_db(fixture_template(*files))

    seeded.__doc__ = doc or f"{', '.join(files)} loaded (a clone)."
    return seeded


# --- a ledger's own invariants ------------------------------------------------------------------
# The write tests (test_lifecycle_repair.py, test_shapes_write.py) check, after each repair,
# that the ledger still obeys its own rules; the queries differ by shape, the two checks do not.

def assert_balanced(dsn: str, entries: str, group: str, *sums: str, where: str = "TRUE") -> None:
    """Every group (a transaction, a balance) of `entries` (a query) nets each of `sums` to zero."""
    nonzero = " OR ".join(f"sum({s}) <> 0" for s in sums)
    assert rows(dsn, f"SELECT {group} FROM ({entries}) AS c WHERE {where}"
                     f" GROUP BY {group} HAVING {nonzero}") == []


def assert_same_sums(dsn: str, stored: str, ledger: str) -> None:
    """Per currency (or whatever `stored` groups by), the stored totals equal the ledger's:
    `stored EXCEPT ledger` is empty."""
    assert rows(dsn, f"{stored} EXCEPT {ledger}") == []


# --- the SQL tree ------------------------------------------------------------------------------

def sql_file(root: Path, name: str) -> Path:
    """The one repeatable file of that name under root's functions/, views/ or triggers/,
    whatever stage folder it sits in (functions/ holds one folder per stage)."""
    found = [p for d in ("functions", "views", "triggers") for p in (root / d).rglob(name)]
    assert len(found) == 1, (name, found)
    return found[0]


def sql_rel(name: str, root: Path = ROOT) -> str:
    """That file's path as the migrator records it ("functions/<stage>/version.sql")."""
    return sql_file(root, name).relative_to(root).as_posix()
