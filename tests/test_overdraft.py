"""Overdraft exemptions (issue 16 item 5): recon.fix() never leaves a stored balance below zero
(and below where it was) by default; recon.allow_overdraft() lets one wallet (a world or offset
account), one balance column of every wallet (an inflight column), both, or a whole wallet
source go negative, with a reason that the step's evidence carries. recon.forbid_overdraft()
takes it back. Bad input: one error with its SQLSTATE and a HINT, nothing changed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest

from conftest import fix, reconcile, rows, run, schema_dump

# A world account that funds the others (its ledger sum is negative by design), and inflight
# holds that may be negative while a payout is in flight. Stored balances left at 0: a resync
# would take world to -100 and alice's inflight to -20.
SCHEMA = """
CREATE SCHEMA od;
CREATE TABLE od.wallet (id text PRIMARY KEY, balance numeric NOT NULL DEFAULT 0,
                        inflight numeric NOT NULL DEFAULT 0);
CREATE TABLE od.entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                       wallet_id text NOT NULL, amount numeric NOT NULL, type text NOT NULL);
INSERT INTO od.wallet (id) VALUES ('world'), ('alice'), ('bob');
INSERT INTO od.entry (wallet_id, amount, type) VALUES
    ('world', 100, 'DEBIT'), ('alice', 60, 'CREDIT'), ('bob', 40, 'CREDIT'),
    ('alice', 20, 'PAYOUT');
UPDATE od.wallet SET balance = 60, inflight = 0 WHERE id = 'alice';
UPDATE od.wallet SET balance = 40 WHERE id = 'bob';
SELECT recon.register_wallet_source('od_wallets', 'od.wallet', 'id',
                                    ARRAY['balance', 'inflight']);
SELECT recon.register_ledger_source('od_ledger', 'od_wallets', 'od.entry', 'wallet_id', 'amount',
    '{"operation": "type", "entry_id": "id", "order_by": "id",
      "effects": {"DEBIT": {"balance": -1}, "CREDIT": {"balance": 1},
                  "PAYOUT": {"inflight": -1}}}');
SELECT recon.register_check('od_balance', 'balance',
                            '{"ledger": "od_ledger", "low_limit": 1000}');
"""


@pytest.fixture
def od(make_db: Callable[..., str], template_db: str) -> str:
    dsn = make_db(template_db)
    run(dsn, SCHEMA)
    reconcile(dsn)
    return dsn


def steps(dsn: str, **args: object) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for s in fix(dsn, **args):
        out.setdefault(s["wallet_key"], []).append(s)
    return out


def test_never_overdraw_by_default(od: str) -> None:
    got = steps(od)
    assert sorted(got) == ["alice", "world"]
    assert {s["note"] for s in got["world"]} == {"would overdraw balance: 0 -> -100"}
    assert all(s["status"] == "skipped" for s in got["world"] + got["alice"])
    assert any(s["note"] == "would overdraw inflight: 0 -> -20" for s in got["alice"])


def test_a_wallet_exemption_lets_the_world_account_go_negative(od: str) -> None:
    out = rows(od, "SELECT recon.allow_overdraft('od_wallets', wallet => 'world', "
                   "reason => 'world account: the source of funds') AS x")[0]["x"]
    assert out["wallet"] == "world" and out["balance_column"] is None
    got = steps(od)
    assert [s["status"] for s in got["world"]] == ["planned"]
    assert got["world"][0]["evidence"]["overdraft"] == {"balance": {
        "before": 0, "after": -100,
        "exemption": {"id": out["id"], "reason": "world account: the source of funds"}}}
    # alice's inflight is still protected
    assert all(s["status"] == "skipped" for s in got["alice"])
    done = steps(od, dry_run=False, ticket="T-7", reason="world account resync")
    assert [s["status"] for s in done["world"]] == ["applied"]
    assert rows(od, "SELECT balance FROM od.wallet WHERE id = 'world'") == [
        {"balance": Decimal(-100)}]
    assert [f["wallet_key"] for f in rows(
        od, "SELECT wallet_key FROM recon.check_od_balance")] == ["alice"]


def test_a_column_exemption_covers_every_wallet_and_only_that_column(od: str) -> None:
    run(od, "SELECT recon.allow_overdraft('od_wallets', balance_column => 'inflight', "
            "reason => 'payouts in flight')")
    got = steps(od)
    assert [s["status"] for s in got["alice"]] == ["planned"]
    assert got["alice"][0]["evidence"]["overdraft"]["inflight"]["after"] == -20
    assert [s["status"] for s in got["world"]] == ["skipped"]  # balance is not exempt


def test_a_source_exemption_and_forbid_takes_it_back(od: str) -> None:
    run(od, "SELECT recon.allow_overdraft('od_wallets', reason => 'negative balances allowed')")
    assert {s["status"] for v in steps(od).values() for s in v} == {"planned"}
    assert rows(od, "SELECT count(*) AS n FROM recon.overdraft_exemptions") == [{"n": 1}]
    # only that exact scope is removed
    assert rows(od, "SELECT recon.forbid_overdraft('od_wallets', wallet => 'world') AS x") == [
        {"x": False}]
    assert rows(od, "SELECT recon.forbid_overdraft('od_wallets') AS x") == [{"x": True}]
    assert {s["status"] for v in steps(od).values() for s in v} == {"skipped"}


BAD = [
    ("SELECT recon.allow_overdraft('nope', reason => 'r')", "RC107"),
    ("SELECT recon.allow_overdraft('od_wallets', balance_column => 'nope', reason => 'r')",
     "RC102"),
    ("SELECT recon.allow_overdraft('od_wallets', wallet => '', reason => 'r')", "RC106"),
    ("SELECT recon.allow_overdraft('od_wallets', wallet => 'wordl', reason => 'r')", "RC106"),
    ("SELECT recon.allow_overdraft('od_wallets', wallet => 'world')", "RC303"),
    ("SELECT recon.allow_overdraft('od_wallets', wallet => 'world', reason => '  ')", "RC303"),
]


@pytest.mark.parametrize(("statement", "code"), BAD)
def test_bad_exemptions_fail_with_a_hint_and_change_nothing(od: str, statement: str,
                                                            code: str) -> None:
    before = schema_dump(od), rows(od, "SELECT * FROM recon.overdraft_exemptions")
    with psycopg.connect(od, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute(statement)
    assert err.value.sqlstate == code
    assert err.value.diag.message_hint
    assert (schema_dump(od), rows(od, "SELECT * FROM recon.overdraft_exemptions")) == before


def test_exemptions_are_the_owners_to_set(od: str) -> None:
    role = f"od_operator_{uuid.uuid4().hex[:8]}"
    run(od, f"CREATE ROLE {role} IN ROLE recon_operator")
    with psycopg.connect(od, autocommit=True) as c:
        c.execute(f"SET ROLE {role}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("SELECT recon.allow_overdraft('od_wallets', reason => 'r')")
        assert c.execute("SELECT count(*) FROM recon.overdraft_exemptions").fetchone() == (0,)
