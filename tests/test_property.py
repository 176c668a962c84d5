"""Property: on random ledgers with random drift, reconcile finds every injected drift and
nothing else, and an incremental run gives exactly what a full run gives."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

AMOUNTS = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=2,
                      allow_nan=False, allow_infinity=False)
DRIFT = st.decimals(min_value=Decimal("-50"), max_value=Decimal("50"), places=2,
                    allow_nan=False, allow_infinity=False).filter(lambda d: d != 0)


@pytest.fixture
def ledger(conn: psycopg.Connection) -> psycopg.Connection:
    conn.execute("""
        CREATE SCHEMA p;
        CREATE TABLE p.w (id int PRIMARY KEY, bal numeric NOT NULL DEFAULT 0);
        CREATE TABLE p.e (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                          wid int NOT NULL, amt numeric NOT NULL);
    """)
    conn.execute("SELECT recon.register_wallet_source('pw', 'p.w', 'id', ARRAY['bal'])")
    conn.execute("SELECT recon.register_ledger_source('pe', 'pw', 'p.e', 'wid', 'amt',"
                 " '{\"order_by\": \"id\"}')")
    conn.execute("SELECT recon.register_check('pb', 'balance', '{\"ledger\": \"pe\"}')")
    return conn


def post(conn: psycopg.Connection, entries: list[tuple[int, Decimal]], apply: bool) -> None:
    """Append entries; with apply, move the stored balances too (a correct application)."""
    for wid, amt in entries:
        conn.execute("INSERT INTO p.w (id) VALUES (%s) ON CONFLICT DO NOTHING", (wid,))
        conn.execute("INSERT INTO p.e (wid, amt) VALUES (%s, %s)", (wid, amt))
        if apply:
            conn.execute("UPDATE p.w SET bal = bal + %s WHERE id = %s", (amt, wid))


def findings(conn: psycopg.Connection, mode: str) -> set[tuple[str, Decimal]]:
    summary = conn.execute("SELECT recon.reconcile(NULL, %s)", (mode,)).fetchone()[0]
    rows = conn.execute("SELECT wallet_key, difference FROM _recon.finding"
                        " WHERE last_seen_run = %s", (summary["run_id"],)).fetchall()
    assert len(rows) == summary["findings"]
    return {(k, d) for k, d in rows}


ENTRIES = st.lists(st.tuples(st.integers(1, 8), AMOUNTS), max_size=30)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=ENTRIES, later=ENTRIES, drift=st.dictionaries(st.integers(1, 10), DRIFT,
                                                             max_size=4),
       later_drift=st.dictionaries(st.integers(1, 10), DRIFT, max_size=3))
def test_drift_found_exactly_and_incremental_equals_full(
    ledger: psycopg.Connection, history: list, later: list, drift: dict, later_drift: dict
) -> None:
    conn = ledger
    conn.execute("TRUNCATE p.w, p.e")
    post(conn, history, apply=True)
    for wid, d in drift.items():  # a stored balance moved without an entry (or a new wallet)
        conn.execute("INSERT INTO p.w (id) VALUES (%s) ON CONFLICT DO NOTHING", (wid,))
        conn.execute("UPDATE p.w SET bal = bal + %s WHERE id = %s", (d, wid))
    expected = {(str(w), d) for w, d in drift.items()}

    assert findings(conn, "full") == expected  # sets the watermark

    # Activity after the watermark: correct postings, and more drift on some wallets.
    post(conn, later, apply=True)
    for wid, d in later_drift.items():
        conn.execute("INSERT INTO p.w (id) VALUES (%s) ON CONFLICT DO NOTHING", (wid,))
        conn.execute("UPDATE p.w SET bal = bal + %s WHERE id = %s", (d, wid))
    totals = {str(w): d for w, d in drift.items()}
    for wid, d in later_drift.items():
        totals[str(wid)] = totals.get(str(wid), Decimal(0)) + d
    expected = {(w, d) for w, d in totals.items() if d != 0}

    incremental = findings(conn, "incremental")
    summary = conn.execute("SELECT summary FROM recon.runs LIMIT 1").fetchone()[0]
    assert summary["runs"]["pb"]["mode"] == "incremental", summary["runs"]
    assert incremental == expected
    assert findings(conn, "full") == incremental


def test_incremental_falls_back_to_full_when_it_cannot_prove_the_shortcut(
        ledger: psycopg.Connection) -> None:
    conn = ledger
    post(conn, [(1, Decimal(10)), (2, Decimal(5))], apply=True)

    def run_mode() -> dict:
        return conn.execute("SELECT recon.reconcile(NULL, 'incremental')").fetchone()[0][
            "runs"]["pb"]

    assert run_mode() == {"mode": "full", "why_full": "no watermark yet: a full run sets one",
                          "watermark": "set"}
    assert run_mode() == {"mode": "incremental"}
    # An UPDATE of an old entry: statistics show it (flushed now rather than within a second).
    conn.execute("UPDATE p.e SET amt = 11 WHERE wid = 1")
    conn.execute("SELECT pg_stat_force_next_flush()")
    with psycopg.connect(conn.info.dsn, autocommit=True) as other:  # let the flush happen
        other.execute("SELECT 1")
    conn.execute("SELECT pg_sleep(0.2)")
    mode = run_mode()
    assert mode["mode"] == "full"
    assert mode["why_full"] == "ledger entries were updated or deleted since the watermark"
    findings_now = conn.execute("SELECT wallet_key, difference FROM recon.open_findings"
                                ).fetchall()
    assert findings_now == [("1", -1)]  # the full run saw the changed entry
    assert run_mode() == {"mode": "incremental"}
    conn.execute("TRUNCATE p.e")
    assert run_mode()["why_full"] == "a table was truncated or rewritten since the watermark"
    conn.execute("SELECT recon.drop_check('pb')")
    conn.execute("SELECT recon.register_check('pb', 'balance', '{\"ledger\": \"pe\"}')")
    assert run_mode()["why_full"] == "no watermark yet: a full run sets one"


def test_an_id_taken_before_the_bound_and_committed_after_is_not_lost(
        ledger: psycopg.Connection) -> None:
    # A takes an ordering id but has written nothing yet (so it has no transaction id); B takes
    # the next id and commits; a full run reads the bound (B's id) while A is still open. The
    # run must wait for A: otherwise A's entry, below the bound, would be in no sum, ever.
    conn = ledger
    post(conn, [(1, Decimal(5))], apply=True)
    dsn = conn.info.dsn
    with psycopg.connect(dsn) as a, psycopg.connect(dsn, autocommit=True) as b:
        taken = a.execute("SELECT nextval(pg_get_serial_sequence('p.e', 'id'))").fetchone()[0]
        b.execute("INSERT INTO p.e (wid, amt) VALUES (2, 7)")
        b.execute("INSERT INTO p.w VALUES (2, 7)")

        def late_commit() -> None:
            time.sleep(0.5)
            a.execute("INSERT INTO p.e (id, wid, amt) OVERRIDING SYSTEM VALUE VALUES (%s, 1, 10)",
                      (taken,))
            a.execute("UPDATE p.w SET bal = bal + 10 WHERE id = 1")
            a.commit()

        writer = threading.Thread(target=late_commit)
        writer.start()
        with psycopg.connect(dsn, autocommit=True) as c:
            full = c.execute("SELECT recon.reconcile()").fetchone()[0]
        writer.join()
    assert full["runs"]["pb"]["watermark"] == "set"
    incremental = conn.execute("SELECT recon.reconcile(NULL, 'incremental')").fetchone()[0]
    assert incremental["runs"]["pb"] == {"mode": "incremental"}
    assert incremental["findings"] == 0  # A's entry and A's balance change both counted
    assert findings(conn, "full") == set()
