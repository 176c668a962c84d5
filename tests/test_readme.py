"""The README's psql walk-through, run as written: its registration SQL, the two failures it
describes, and the findings table it prints."""

from __future__ import annotations

import argparse
import re
from decimal import Decimal

import psycopg
import pytest

from conftest import ROOT, load_fixture

README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    return README.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_readme_finding_drift_example_is_true(db: str) -> None:
    text = section("Finding drift in your own tables")
    registration = re.search(r"```sql\n(.*?)```", text, re.S).group(1)
    table = re.search(r"open_findings;\n(.*?)```", text, re.S).group(1)
    expected = []
    for line in table.splitlines()[2:]:  # header and rule first
        cells = [c.strip() for c in line.split("|")]
        if len(cells) == 7:
            check, key, severity, cause, stored, exp, diff = cells
            expected.append((check, key, severity, cause or None, Decimal(stored), Decimal(exp),
                             Decimal(diff)))
    assert len(expected) == 3

    load_fixture(db, "seed000.sql")
    with psycopg.connect(db, autocommit=True) as c:
        c.execute("SET search_path = seed000, public")  # the tables as a DBA would name them
        c.execute(registration.encode())
        # "a payment completed and credited to wallet 3's balance but never posted to the
        # ledger, and wallet 6 debited by hand"
        c.execute("INSERT INTO payment_intent VALUES"
                  " ('pi_missing', md5('wallet3')::uuid, 77.00, 'COMPLETED', 'wallet-3')")
        c.execute("UPDATE wallet_account SET balance = balance + 77 WHERE id = md5('wallet3')::uuid")
        c.execute("UPDATE wallet_account SET balance = balance - 13.50"
                  " WHERE id = md5('wallet6')::uuid")
        assert c.execute("SELECT recon.reconcile() ->> 'status'").fetchone()[0] == "discrepancy"
        rows = c.execute("SELECT check_name, wallet_key, severity, cause, stored, expected,"
                         " difference FROM recon.open_findings").fetchall()
    assert rows == expected


def test_readme_repair_example_is_true(db: str) -> None:
    found = section("Finding drift in your own tables")
    registration = re.search(r"```sql\n(.*?)```", found, re.S).group(1)
    text = section("Repairing it")
    writer = re.search(r"```sql\n(.*?)```", text, re.S).group(1)
    plan_table = re.search(r"wallet_limit => 100\);\n(.*?)\n\napp=#", text, re.S).group(1)
    expected = []
    for line in plan_table.splitlines()[2:]:
        cells = [c.strip() for c in line.split("|")]
        expected.append((int(cells[0]), cells[1], cells[2], cells[3], Decimal(cells[4]), cells[5],
                         Decimal(cells[6]), Decimal(cells[7]), cells[8] or None))
    assert len(expected) == 3

    load_fixture(db, "seed000.sql")
    with psycopg.connect(db, autocommit=True) as c:
        c.execute("SET search_path = seed000, public")
        c.execute(registration.encode())
        c.execute("INSERT INTO payment_intent VALUES"
                  " ('pi_missing', md5('wallet3')::uuid, 77.00, 'COMPLETED', 'wallet-3')")
        c.execute("UPDATE wallet_account SET balance = balance + 77 WHERE id = md5('wallet3')::uuid")
        c.execute("UPDATE wallet_account SET balance = balance - 13.50"
                  " WHERE id = md5('wallet6')::uuid")
        c.execute("SELECT recon.reconcile()")
        c.execute(writer.encode())
        plan = c.execute("SELECT step, check_name, left(wallet_key, 8), strategy, amount, status,"
                         " (stored_before ->> 'balance')::numeric,"
                         " (stored_after ->> 'balance')::numeric, note"
                         " FROM recon.fix(wallet_limit => 100)").fetchall()
        assert plan == expected
        applied = c.execute("SELECT step, strategy, status FROM recon.fix(dry_run => false,"
                            " ticket => 'INC-42', reason => 'runbook', wallet_limit => 100)"
                            ).fetchall()
        assert applied == [(1, "resync", "applied"), (2, "post_missing", "applied"),
                           (3, "resync", "covered")]
        assert c.execute("SELECT recon.reconcile() ->> 'status'").fetchone()[0] == "synced"


def test_readme_guard_example_runs(db: str) -> None:
    registration = re.search(r"```sql\n(.*?)```", section("Finding drift in your own tables"),
                             re.S).group(1)
    guards = re.search(r"```sql\n(.*?)```", section("Guarding the write path"), re.S).group(1)
    load_fixture(db, "seed000.sql")
    with psycopg.connect(db, autocommit=True) as c:
        c.execute("SET search_path = seed000, public")
        c.execute(registration.encode())
        c.execute(guards.encode())
        assert c.execute("SELECT kind, mode FROM recon.guards").fetchall() == [("drift", "block")]
        with pytest.raises(psycopg.Error) as err:  # a balance moved without its entry
            c.execute("UPDATE wallet_account SET balance = balance + 1"
                      " WHERE id = md5('wallet1')::uuid")
        assert err.value.sqlstate == "RC401"


def test_readme_documents_every_command_and_option() -> None:
    """The Commands section names every subcommand and every option the CLI accepts."""
    from migrator.cli import build_parser

    text = section("Commands")
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
