"""The README as a reader meets it: at most 12,000 bytes, and its psql quick start run exactly
as written (its SQL blocks in order, search_path included) against the seed it names, with the
findings, plan and results it prints; docs/CLI.md names every command and option."""

from __future__ import annotations

import argparse
import re
from decimal import Decimal

import psycopg
import pytest

from conftest import ROOT, load_fixture, run_cli

README = (ROOT / "README.md").read_text()


def section(title: str, text: str = README) -> str:
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def sql_blocks(title: str) -> list[str]:
    return re.findall(r"```sql\n(.*?)```", section(title), re.S)


QUICK = "Quick start in psql, on your own tables"


def test_readme_is_a_door_not_a_manual() -> None:
    size = len(README.encode())
    assert 4_000 <= size <= 12_000, size
    titles = re.findall(r"^## (.+)$", README, re.M)
    assert titles == ["The two commands", QUICK, "Adopting it", "More"]
    for link in re.findall(r"\]\(([^)#]+)", README):  # every link resolves in a clone
        assert (ROOT / link).exists(), link


def quick_start(db: str) -> psycopg.Connection:
    """A connection to db after the quick start's registration and breakage, run as written
    (on the seed it names, loaded into the database as the README says)."""
    registration, breakage = sql_blocks(QUICK)[:2]
    assert registration.startswith("SET search_path = seed000, public;")
    load_fixture(db, "seed000.sql")
    c = psycopg.connect(db, autocommit=True)
    c.execute(registration.encode())
    c.execute(breakage.encode())
    return c


def test_readme_finding_drift_example_is_true(db: str) -> None:
    text = section(QUICK)
    table = re.search(r"open_findings;\n(.*?)```", text, re.S).group(1)
    expected = []
    for line in table.splitlines()[2:]:  # header and rule first
        cells = [c.strip() for c in line.split("|")]
        if len(cells) == 7:
            check, key, severity, cause, stored, exp, diff = cells
            expected.append((check, key, severity, cause or None, Decimal(stored), Decimal(exp),
                             Decimal(diff)))
    assert len(expected) == 3

    with quick_start(db) as c:
        assert c.execute("SELECT recon.reconcile() ->> 'status'").fetchone()[0] == "discrepancy"
        rows = c.execute("SELECT check_name, wallet_key, severity, cause, stored, expected,"
                         " difference FROM recon.open_findings").fetchall()
    assert rows == expected


def test_readme_repair_example_is_true(db: str) -> None:
    text = section(QUICK)
    writer = sql_blocks(QUICK)[2]
    plan_table = re.search(r"wallet_limit => 100\);\n(.*?)\n\napp=#", text, re.S).group(1)
    expected = []
    for line in plan_table.splitlines()[2:]:
        cells = [c.strip() for c in line.split("|")]
        expected.append((int(cells[0]), cells[1], cells[2], cells[3], Decimal(cells[4]), cells[5],
                         Decimal(cells[6]), Decimal(cells[7]), cells[8] or None))
    assert len(expected) == 3
    apply = re.search(r"app=# (SELECT step, strategy, status, repair_id FROM .*?);\n", text,
                      re.S).group(1)
    apply = re.sub(r"\napp-#", "\n", apply)
    applied = re.search(r"repair_id\n-+\+.*?\n(.*?)\n\n", text, re.S).group(1)
    expected_applied = [tuple(c.strip() for c in line.split("|"))
                        for line in applied.splitlines()]

    with quick_start(db) as c:
        c.execute("SELECT recon.reconcile()")
        c.execute(writer.encode())
        plan = c.execute("SELECT step, check_name, left(wallet_key, 8), strategy, amount, status,"
                         " (stored_before ->> 'balance')::numeric,"
                         " (stored_after ->> 'balance')::numeric, note"
                         " FROM recon.fix(wallet_limit => 100)").fetchall()
        assert plan == expected
        rows = c.execute(apply).fetchall()
        assert [tuple(str(v) for v in r) for r in rows] == expected_applied
        assert [r[2] for r in rows] == ["applied", "applied", "covered"]
        assert c.execute("SELECT recon.reconcile() ->> 'status'").fetchone()[0] == "synced"


def test_readme_guard_and_uninstall_examples_run(db: str) -> None:
    guard = sql_blocks(QUICK)[3]
    (disable,) = sql_blocks("Adopting it")
    with quick_start(db) as c:
        c.execute("SELECT recon.reconcile()")  # the drift is already there; the guard is not
        c.execute(guard.encode())
        assert c.execute("SELECT kind, mode FROM recon.guards").fetchall() == [("drift", "block")]
        with pytest.raises(psycopg.Error) as err:  # a balance moved without its entry
            c.execute("UPDATE wallet_account SET balance = balance + 1"
                      " WHERE id = md5('wallet1')::uuid")
        assert err.value.sqlstate == "RC401"
        c.execute(disable.encode())
        assert c.execute("SELECT count(*) FROM recon.guards").fetchone()[0] == 0
        c.execute("UPDATE wallet_account SET balance = balance + 1"
                  " WHERE id = md5('wallet1')::uuid")  # no trigger left
    proc = run_cli("uninstall", "--yes", dsn=db)  # what the README runs next
    assert proc.returncode == 0, proc.stderr
    with psycopg.connect(db) as c:
        assert c.execute("SELECT count(*) FROM pg_namespace WHERE nspname IN"
                         " ('recon', '_recon')").fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM pg_trigger t JOIN pg_class r ON r.oid = tgrelid"
                         " WHERE r.relnamespace = 'seed000'::regnamespace"
                         " AND NOT tgisinternal").fetchone()[0] == 0


def test_cli_doc_documents_every_command_and_option() -> None:
    """docs/CLI.md names every subcommand and every option the CLI accepts."""
    from migrator.cli import build_parser

    text = (ROOT / "docs" / "CLI.md").read_text()
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    missing = []
    for name, command in sub.choices.items():
        if f"`{name}" not in text and f"`install`, `{name}" not in text:
            missing.append(name)
        for action in command._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help" and option not in text:
                    missing.append(f"{name} {option}")
    assert not missing, missing
    for code in ("**2**", "**130**", "| 0 current, 1 anything is not |"):
        assert code in text
