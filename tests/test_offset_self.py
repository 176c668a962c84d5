"""A repair of the writer's own offset wallet (a world or treasury account that drifts) cannot be
posted against that wallet: the posting nets to zero in the ledger. A tester's adjust of a
drifting world account on a transfer-row ledger posted world -> world and moved world's stored
balance back to the ledger's figure, while the plan and the audit said it stayed: a resync in
disguise. It is manual now, in the dry run as applying, through SQL from a plain connection."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest
from helpers import q, row_snapshot

from conftest import fix, reconcile, run

TRANSFERS = (
    "CREATE TABLE wallet (id text PRIMARY KEY, balance numeric(20,2) NOT NULL)",
    "CREATE TABLE transfer (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, source text NOT"
    " NULL, destination text NOT NULL, amount numeric(20,2) NOT NULL CHECK (amount > 0),"
    " reference text)",
    "INSERT INTO wallet VALUES ('world', -300), ('a', 200), ('b', 100)",
    "INSERT INTO transfer (source, destination, amount, reference) VALUES"
    " ('world', 'a', 200, 'd1'), ('world', 'b', 100, 'd2')",
    "SELECT recon.register_wallet_source('xw', 'wallet', 'id', ARRAY['balance'])",
    "SELECT recon.register_ledger_source('xl', 'xw', 'transfer', NULL, 'amount',"
    " '{\"debit_wallet\": \"source\", \"credit_wallet\": \"destination\", \"entry_id\": \"id\","
    " \"order_by\": \"id\", \"reference\": \"reference\"}')",
    "SELECT recon.register_check('xb', 'balance', '{\"ledger\": \"xl\"}')",
    "SELECT recon.register_writer('xl', '{\"offset_wallet\": \"world\"}')",
    "SELECT recon.set_fix_policy('xb', '{\"strategy\": \"adjust\"}')",
)


@pytest.fixture
def fresh(make_db: Callable[..., str], template_db: str) -> str:
    return make_db(template_db)


def test_adjusting_the_offset_wallet_itself_is_manual(fresh: str) -> None:
    run(fresh, *TRANSFERS,
        # world's stored balance is right (the bank says so): its ledger lacks a 3.00 fee; a's
        # lacks 2.00
        "UPDATE wallet SET balance = balance + 3 WHERE id = 'world'",
        "UPDATE wallet SET balance = balance + 2 WHERE id = 'a'")
    reconcile(fresh)
    plan = {s["wallet_key"]: s for s in fix(fresh, wallet_limit=100)}
    assert plan["world"]["status"] == "manual"
    assert plan["world"]["note"].startswith("the wallet is the offset wallet of ledger xl's")
    assert (plan["a"]["strategy"], plan["a"]["status"]) == ("adjust", "planned")

    before = row_snapshot(fresh, "wallet")
    done = {s["wallet_key"]: s for s in fix(fresh, wallet_limit=100, dry_run=False,
                                            ticket="T-1", reason="fee income")}
    assert done["world"]["status"] == "manual" and done["a"]["status"] == "applied"
    # a's adjust posted world -> a 2.00: world's stored balance moved by -2 as its offset,
    # never back to the ledger's -300
    balances = dict(q(fresh, "SELECT id, balance FROM wallet"))
    assert balances == {"world": Decimal("-299.00"), "a": Decimal("202.00"),
                        "b": Decimal("100.00")}
    assert before != row_snapshot(fresh, "wallet")


def test_the_same_on_one_sided_entries(fresh: str) -> None:
    """One entry per wallet: the offset entry of world's own posting would be world's too."""
    run(fresh,
        "CREATE TABLE wallet (id text PRIMARY KEY, balance numeric(20,2) NOT NULL)",
        "CREATE TABLE entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, wallet_id text"
        " NOT NULL, amount numeric(20,2) NOT NULL)",
        "INSERT INTO wallet VALUES ('world', -50), ('a', 50)",
        "INSERT INTO entry (wallet_id, amount) VALUES ('world', -50), ('a', 50)",
        "SELECT recon.register_wallet_source('ew', 'wallet', 'id', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('el', 'ew', 'entry', 'wallet_id', 'amount')",
        "SELECT recon.register_check('eb', 'balance', '{\"ledger\": \"el\"}')",
        "SELECT recon.register_writer('el', '{\"offset_wallet\": \"world\"}')",
        "UPDATE wallet SET balance = balance - 4 WHERE id = 'world'")
    reconcile(fresh)
    before = row_snapshot(fresh, "wallet", "entry")
    for strategy in ("adjust", "resync"):
        (step,) = fix(fresh, wallet_limit=100, force_strategy=strategy, dry_run=False,
                      ticket="T-2", reason="r")
        assert step["wallet_key"] == "world"
        if strategy == "adjust":
            assert step["status"] == "manual", step
            assert row_snapshot(fresh, "wallet", "entry") == before
        else:  # a resync posts nothing: it does not need an offset
            assert step["status"] == "applied", step


def test_a_trigger_of_yours_that_fails_under_the_pinned_path_is_rc313(fresh: str) -> None:
    """An audit trigger naming its table without the schema fails during a repair (the toolkit's
    path is pinned): RC313 with the trigger's error, a HINT, nothing applied; with its own
    search_path, the same repair goes through and the trigger audits it."""
    run(fresh,
        "CREATE TABLE wallet (id text PRIMARY KEY, balance numeric(12,2) NOT NULL)",
        "CREATE TABLE wallet_audit (wallet_id text, old_balance numeric, new_balance numeric)",
        "CREATE FUNCTION audit_wallet() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT"
        " INTO wallet_audit VALUES (NEW.id, OLD.balance, NEW.balance); RETURN NEW; END $$",
        "CREATE TRIGGER audit_wallet AFTER UPDATE ON wallet FOR EACH ROW"
        " EXECUTE FUNCTION audit_wallet()",
        "CREATE TABLE entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, wallet_id text"
        " NOT NULL, amount numeric(12,2) NOT NULL)",
        "INSERT INTO wallet VALUES ('a', 100)",
        "INSERT INTO entry (wallet_id, amount) VALUES ('a', 100)",
        "SELECT recon.register_wallet_source('w', 'wallet', 'id', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('l', 'w', 'entry', 'wallet_id', 'amount')",
        "SELECT recon.register_check('bal', 'balance', '{\"ledger\": \"l\", \"currency\": \"USD\"}')",
        "UPDATE wallet SET balance = balance + 5 WHERE id = 'a'")
    reconcile(fresh)
    before = row_snapshot(fresh, "wallet", "wallet_audit")
    with psycopg.connect(fresh, autocommit=True) as c, pytest.raises(psycopg.Error) as err:
        c.execute("SELECT * FROM recon.fix(wallet_limit => 100, dry_run => false,"
                  " ticket => 'T', reason => 'r')")
    diag = err.value.diag
    assert err.value.sqlstate == "RC313"
    assert diag.message_primary == ("moving the stored balances of public.wallet failed;"
                                    " nothing was applied")
    assert diag.message_detail.startswith('42P01: relation "wallet_audit" does not exist')
    assert "ALTER FUNCTION ... SET search_path" in diag.message_hint
    assert row_snapshot(fresh, "wallet", "wallet_audit") == before
    assert q(fresh, "SELECT count(*) FROM recon.repairs") == [(0,)]

    run(fresh, "ALTER FUNCTION audit_wallet() SET search_path = public")
    (step,) = fix(fresh, wallet_limit=100, dry_run=False, ticket="T", reason="r")
    assert step["status"] == "applied"
    assert q(fresh, "SELECT * FROM wallet_audit") == [  # the app's drift, then the repair
        ("a", Decimal("100.00"), Decimal("105.00")), ("a", Decimal("105.00"), Decimal("100.00"))]
