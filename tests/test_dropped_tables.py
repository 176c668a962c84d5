"""A deploy that recreates the ledger table (DROP TABLE ... CASCADE, CREATE TABLE) takes the
check's view with it (a tester's finding): every reconcile then failed with a raw 42P01. Now the
run says which check lost what, with RC204 and what to do, and records nothing; from SQL and
from the CLI as a subprocess."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from helpers import q

from conftest import reconcile, run, run_cli


@pytest.fixture
def fresh(make_db: Callable[..., str], template_db: str) -> str:
    return make_db(template_db)


def test_a_ledger_table_dropped_under_a_check_is_rc204(fresh: str) -> None:
    run(fresh,
        "CREATE TABLE wallet (id text PRIMARY KEY, balance numeric NOT NULL)",
        "CREATE TABLE entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, wallet_id text"
        " NOT NULL, amount numeric NOT NULL)",
        "SELECT recon.register_wallet_source('w', 'wallet', 'id', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('l', 'w', 'entry', 'wallet_id', 'amount')",
        "SELECT recon.register_check('bal', 'balance', '{\"ledger\": \"l\"}')")
    reconcile(fresh)
    runs = q(fresh, "SELECT count(*) FROM recon.runs WHERE finished_at IS NOT NULL")
    run(fresh, "DROP TABLE entry CASCADE",
        "CREATE TABLE entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, wallet_id text"
        " NOT NULL, amount numeric NOT NULL)")
    with psycopg.connect(fresh, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT recon.reconcile()")
    assert err.value.sqlstate == "RC204"
    assert err.value.diag.message_primary == "check bal lost its view recon.check_bal"
    assert "recon.drop_check('bal')" in err.value.diag.message_hint
    proc = run_cli("check", dsn=fresh)
    assert proc.returncode == 2 and proc.stderr.startswith(
        "wallet-recon: error: RC204: check bal lost its view recon.check_bal"), proc.stderr
    assert q(fresh, "SELECT count(*) FROM recon.runs WHERE finished_at IS NOT NULL") == runs
    # status says so too (an upgrade would not bring the view back: still "current")
    proc = run_cli("status", dsn=fresh)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING: check bal lost its view recon.check_bal (a DROP ... CASCADE of a table it" \
        " reads): reconcile refuses to run it (RC204); SELECT recon.drop_check('bal')" \
        in proc.stdout, proc.stdout
    # dropped and registered again over the new table, the check runs
    run(fresh, "SELECT recon.drop_check('bal')", "SELECT recon.drop_source('l')",
        "SELECT recon.register_ledger_source('l', 'w', 'entry', 'wallet_id', 'amount')",
        "SELECT recon.register_check('bal', 'balance', '{\"ledger\": \"l\"}')")
    assert reconcile(fresh)["status"] == "synced"
    assert "lost" not in run_cli("status", dsn=fresh).stdout
