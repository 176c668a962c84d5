"""recon.advise() and `wallet-recon advise` (issue 17, item 2): the index on a balance check's
ledger wallet key INCLUDE (the columns it reads), as a CREATE INDEX CONCURRENTLY statement to
run yourself, with estimates labelled as such; never created by the toolkit."""

from __future__ import annotations

import json

import psycopg

from conftest import run_cli

SETUP = """
CREATE SCHEMA a;
CREATE TABLE a.w (id int PRIMARY KEY, bal numeric NOT NULL DEFAULT 0);
CREATE TABLE a.e (id bigint GENERATED ALWAYS AS IDENTITY, wid int NOT NULL,
                  amt numeric NOT NULL, dir text NOT NULL, voided boolean NOT NULL DEFAULT false);
INSERT INTO a.w (id, bal) SELECT i, 20 FROM generate_series(1, 200) AS i;
INSERT INTO a.e (wid, amt, dir) SELECT i % 200 + 1, 10, 'C' FROM generate_series(1, 400) AS i;
ANALYZE a.w, a.e;
SELECT recon.register_wallet_source('aw', 'a.w', 'id', ARRAY['bal']);
SELECT recon.register_ledger_source('ae', 'aw', 'a.e', 'wid', 'amt', '{
    "direction": "dir", "credit": "C", "debit": "D", "order_by": "id",
    "filters": [{"column": "voided", "op": "=", "value": false}]}');
SELECT recon.register_check('ab', 'balance', '{"ledger": "ae"}');
"""

INDEXES = "SELECT count(*) FROM pg_index WHERE indrelid = 'a.e'::regclass"


def test_advise_recommends_the_covering_index_and_never_creates_it(
        conn: psycopg.Connection) -> None:
    conn.execute(SETUP)
    before = conn.execute(INDEXES).fetchone()[0]
    (advice,) = conn.execute("SELECT recon.advise()").fetchone()[0]
    assert conn.execute(INDEXES).fetchone()[0] == before  # nothing created
    assert advice["check"] == "ab" and advice["table"] == "a.e", advice
    assert advice["statement"] == (
        "CREATE INDEX CONCURRENTLY e_wid_recon ON a.e (wid) INCLUDE (amt, dir, voided);")
    est = advice["estimates"]
    assert "estimates" in est["note"] and est["entries"] == 400 and est["wallets"] == 200, est
    assert 0 < est["index_bytes"] < est["table_bytes"] * 2, est
    assert est["plan_cost_now"] > 0, est
    # run as advised (by the user): now it is in place, and nothing more is advised
    conn.execute(advice["statement"])
    (again,) = conn.execute("SELECT recon.advise()").fetchone()[0]
    assert again["advice"] == "in place: a.e_wid_recon covers the check" and "statement" not in again
    # the check still finds exactly the drift, whichever plan it takes
    conn.execute("UPDATE a.w SET bal = 21 WHERE id = 7")
    assert conn.execute("SELECT recon.reconcile() ->> 'findings'").fetchone()[0] == "1"


def test_advise_from_the_cli_labels_estimates_and_says_none_for_transfer_rows(
        conn: psycopg.Connection) -> None:
    conn.execute(SETUP)
    conn.execute("""
        CREATE TABLE a.t (id bigint GENERATED ALWAYS AS IDENTITY, src int NOT NULL,
                          dst int NOT NULL, amount numeric NOT NULL);
        SELECT recon.register_ledger_source('at', 'aw', 'a.t', NULL, 'amount',
            '{"debit_wallet": "src", "credit_wallet": "dst"}');
        SELECT recon.register_check('at_balance', 'balance', '{"ledger": "at"}');""")
    proc = run_cli("advise", dsn=conn.info.dsn)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == ("ab (ledger ae, table a.e): create the index below (the toolkit never "
                        "creates one itself)"), proc.stdout
    assert lines[1].strip().startswith("CREATE INDEX CONCURRENTLY e_wid_recon ON a.e (wid)")
    assert lines[2].strip().startswith("estimates (planner statistics, not measured): 400 "
                                       "entries, 200 wallets"), proc.stdout
    assert lines[3].startswith("at_balance (ledger at, table a.t): none: "), proc.stdout
    js = run_cli("advise", "--format", "json", dsn=conn.info.dsn)
    assert js.returncode == 0 and [a["check"] for a in json.loads(js.stdout)] == [
        "ab", "at_balance"]
