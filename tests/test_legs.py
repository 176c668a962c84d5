"""Ledger shapes through the legs relation (issue 14): transfer rows, entry filters, effects
keyed on several columns and parent rows, running balances per column, several ledgers for
one wallet source, wallet labels; bad options refused with nothing changed. Plain SQL from a
plain connection against a real PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from conftest import open_findings, reconcile, rows, run, run_cli

pytestmark = pytest.mark.core  # the matrix runs all of it (pyproject.toml)

ROOT = Path(__file__).resolve().parent.parent

TRANSFER = """
SELECT recon.register_wallet_source('lw', 'legs.wallet', 'id', ARRAY['balance'],
                                    '{"label": "alias"}');
SELECT recon.register_ledger_source('lt', 'lw', 'legs.transfer', NULL, 'amount', '{
    "debit_wallet": "source", "credit_wallet": "destination",
    "filters": [{"column": "status", "op": "in", "values": ["APPLIED"]}],
    "entry_id": "id", "order_by": "id", "reference": "reference", "posted_at": "created_at"}');
SELECT recon.register_check('lt_balance', 'balance', '{"ledger": "lt"}');
SELECT recon.register_check('lt_dups', 'duplicate', '{"ledger": "lt"}');
"""

OPERATION = """
SELECT recon.register_wallet_source('mb', 'legs.balance', 'id', ARRAY['available', 'on_hold']);
SELECT recon.register_ledger_source('mo', 'mb', 'legs.operation', 'balance_id', 'amount', '{
    "parents": {"tx": {"table": "legs.txn", "key": "id", "via": "txn_id"}},
    "filters": [{"column": "tx.status", "op": "<>", "value": "FAILED"}],
    "operation": ["type", "tx.commits_hold"],
    "effects": [
        {"when": {"type": "DEBIT", "tx.commits_hold": true}, "effect": {"on_hold": -1},
         "label": "COMMIT"},
        {"when": {"type": "DEBIT"}, "effect": {"available": -1}},
        {"when": {"type": "CREDIT"}, "effect": {"available": 1}},
        {"when": {"type": "ON_HOLD"}, "effect": {"available": -1, "on_hold": 1}}],
    "balance_after": {"available": "available_after", "on_hold": "on_hold_after"},
    "entry_id": "id", "order_by": "id", "journal": "txn_id"}');
SELECT recon.register_check('mo_balance', 'balance', '{"ledger": "mo"}');
SELECT recon.register_check('mo_chain', 'chain', '{"ledger": "mo"}');
"""

TWO_LEDGERS = """
SELECT recon.register_wallet_source('acc', 'legs.account', 'id', ARRAY['balance']);
SELECT recon.register_ledger_source('acc_entries', 'acc', 'legs.entry', 'account_id', 'amount',
    '{"filters": [{"column": "deleted_at", "op": "is null"}], "order_by": "id"}');
SELECT recon.register_ledger_source('acc_fees', 'acc', 'legs.fee', 'account_id', 'amount',
    '{"order_by": "id"}');
SELECT recon.register_check('acc_balance', 'balance', '{"ledger": ["acc_entries", "acc_fees"]}');
"""


@pytest.fixture
def legs(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template("legs.sql", sql=(TRANSFER, OPERATION, TWO_LEDGERS)))


def found(dsn: str) -> list[tuple]:
    """(check, wallet, column, difference, cause) of every open finding."""
    return sorted((f["check_name"], f["wallet_key"], f["details"].get("column"),
                   Decimal(str(f["difference"])) if f["difference"] is not None else None,
                   f["cause"]) for f in open_findings(dsn))


def plan_nodes(dsn: str, view: str) -> set[str]:
    """The plan's node types, a subquery scan named by its alias."""
    (plan,) = rows(dsn, f"EXPLAIN (FORMAT JSON) SELECT * FROM recon.{view}")[0].values()

    def walk(node: dict) -> set[str]:
        name = node["Node Type"] + (f" {node['Alias']}" if node["Node Type"] == "Subquery Scan"
                                    else "")
        return {name}.union(*(walk(c) for c in node.get("Plans", [])))
    return walk(plan[0]["Plan"])


def test_clean_ledgers_of_every_shape_are_synced(legs: str) -> None:
    summary = reconcile(legs)
    assert summary["status"] == "synced", summary
    assert found(legs) == []


def test_a_plain_ledger_is_a_plain_scan_and_transfer_rows_are_two(legs: str) -> None:
    run(legs, "SELECT recon.register_wallet_source('pw', 'legs.account', 'id', ARRAY['balance'])",
        "SELECT recon.register_ledger_source('pe', 'pw', 'legs.fee', 'account_id', 'amount')",
        "SELECT recon.register_check('pe_balance', 'balance', '{\"ledger\": \"pe\"}')")
    # the legs subquery (alias l) is pulled up into the aggregate: a scan of the table itself
    plain = plan_nodes(legs, "check_pe_balance")
    assert "Subquery Scan l" not in plain and "Append" not in plain, plain
    assert "Seq Scan" in plain
    assert "Append" in plan_nodes(legs, "check_lt_balance")


def test_transfer_rows_count_both_legs_and_only_the_rows_the_filter_keeps(legs: str) -> None:
    # a QUEUED transfer and a VOID one move nothing; drift on bob is found with his label
    run(legs, "INSERT INTO legs.transfer (source, destination, amount, status, reference)"
              " VALUES ('b', 'a', 5000, 'QUEUED', 'pay-9')",
        "UPDATE legs.wallet SET balance = balance + 7 WHERE id = 'b'")
    reconcile(legs)
    assert found(legs) == [("lt_balance", "b", "balance", Decimal("7.00"), None)]
    (f,) = open_findings(legs, "lt_balance")
    assert f["details"]["label"] == "@bob"
    # the QUEUED transfer applied: both wallets move, nothing else is found
    run(legs, "UPDATE legs.transfer SET status = 'APPLIED' WHERE reference = 'pay-9'",
        "UPDATE legs.wallet SET balance = balance - 5000 - 7 WHERE id = 'b'",
        "UPDATE legs.wallet SET balance = balance + 5000 WHERE id = 'a'")
    assert reconcile(legs)["status"] == "synced"


def test_a_duplicated_transfer_is_a_duplicate_on_each_leg(legs: str) -> None:
    run(legs, "INSERT INTO legs.transfer (source, destination, amount, status, reference)"
              " VALUES ('a', 'b', 20.00, 'APPLIED', 'pay-1')",
        "UPDATE legs.wallet SET balance = balance - 20 WHERE id = 'a'",
        "UPDATE legs.wallet SET balance = balance + 20 WHERE id = 'b'")
    reconcile(legs)
    dups = sorted((f["wallet_key"], f["details"]["item"], f["details"]["columns"])
                  for f in open_findings(legs, "lt_dups"))
    assert dups == [("a", "pay-1/debit", ["balance"]), ("b", "pay-1/credit", ["balance"])]
    assert open_findings(legs, "lt_balance") == []


def test_effects_keyed_on_the_operation_and_the_parent_transaction(legs: str) -> None:
    # a hold commit that took from available instead of on_hold: on_hold stays 30 too high
    run(legs, "UPDATE legs.txn SET commits_hold = FALSE WHERE id = 't3'")
    reconcile(legs)
    # (the running balances no longer follow the effects either: the chain breaks too)
    assert [x[:4] for x in found(legs) if x[0] == "mo_balance"] == [
        ("mo_balance", "m1", "available", Decimal("30")),
        ("mo_balance", "m1", "on_hold", Decimal("-30"))]
    run(legs, "UPDATE legs.txn SET commits_hold = TRUE WHERE id = 't3'")
    # the FAILED transaction approved: its DEBIT of 500 counts now
    run(legs, "UPDATE legs.txn SET status = 'APPROVED' WHERE id = 't4'")
    reconcile(legs)
    assert [x for x in found(legs) if x[0] == "mo_balance"] == [
        ("mo_balance", "m1", "available", Decimal("500"), None)]


def test_an_unmatched_combination_is_an_unmapped_entry(legs: str) -> None:
    run(legs, "INSERT INTO legs.operation (txn_id, balance_id, type, amount, available_after,"
              " on_hold_after) VALUES ('t5', 'm2', 'REFUND', 1, 10, 0)")
    reconcile(legs)
    assert {(f["wallet_key"], f["details"]["column"], f["cause"],
             f["details"]["unmapped_entries"]) for f in open_findings(legs, "mo_balance")} == {
        ("m2", "available", "unmapped_entry_type", 1),
        ("m2", "on_hold", "unmapped_entry_type", 1)}


def test_each_running_balance_is_its_own_chain(legs: str) -> None:
    run(legs, "UPDATE legs.operation SET on_hold_after = 31 WHERE txn_id = 't2'")
    reconcile(legs)
    chain = [(f["wallet_key"], f["details"]["column"], f["cause"])
             for f in open_findings(legs, "mo_chain")]
    assert chain == [("m1", "on_hold", "chain_break")]


def test_several_ledgers_feed_one_wallet_source(legs: str) -> None:
    run(legs, "INSERT INTO legs.fee VALUES (2, 2, -3)")
    reconcile(legs)
    assert found(legs) == [("acc_balance", "2", "balance", Decimal("3"), None)]
    # a soft-deleted entry restored: it counts again
    run(legs, "UPDATE legs.account SET balance = 37 WHERE id = 2",
        "UPDATE legs.entry SET deleted_at = NULL WHERE id = 3")
    reconcile(legs)
    assert found(legs) == [("acc_balance", "1", "balance", Decimal("-70"), None)]


def test_incremental_equals_full_on_a_filtered_transfer_ledger(legs: str) -> None:
    reconcile(legs, None, "full")
    run(legs, "INSERT INTO legs.transfer (source, destination, amount, status, reference)"
              " VALUES ('a', 'b', 3, 'APPLIED', 'pay-4'), ('a', 'b', 4, 'QUEUED', 'pay-5')",
        "UPDATE legs.wallet SET balance = balance + 3 WHERE id = 'b'")
    inc = reconcile(legs, ["lt_balance"], "incremental")
    assert inc["runs"]["lt_balance"]["mode"] == "incremental", inc["runs"]
    inc_found = found(legs)
    reconcile(legs, ["lt_balance"], "full")
    assert found(legs) == inc_found == [("lt_balance", "a", "balance", Decimal("3.00"), None)]


def sources(dsn: str) -> list[dict]:
    return rows(dsn, "SELECT * FROM recon.sources ORDER BY name")


@pytest.mark.parametrize(("options", "wallet_column", "code"), [
    ({"debit_wallet": "source", "credit_wallet": "destination"}, "source", "RC106"),
    ({"debit_wallet": "source"}, None, "RC106"),
    ({"debit_wallet": "source", "credit_wallet": "nope"}, None, "RC102"),
    ({"debit_wallet": "source", "credit_wallet": "destination",
      "filters": [{"column": "status", "op": "like", "value": "A%"}]}, None, "RC106"),
    ({"debit_wallet": "source", "credit_wallet": "destination",
      "filters": [{"column": "created_at", "op": "=", "value": "yesterday-ish"}]}, None, "RC106"),
    ({"debit_wallet": "source", "credit_wallet": "destination",
      "filters": "status = 'APPLIED'"}, None, "RC106"),
    ({"debit_wallet": "source", "credit_wallet": "destination",
      "parents": {"w": {"table": "legs.transfer", "key": "status", "via": "status"}}}, None,
     "RC106"),
    ({"debit_wallet": "source", "credit_wallet": "destination", "operation": ["status"],
      "effects": [{"when": {"status": "APPLIED"}, "effect": {"balance": 1}}]}, None, "RC106"),
    ({"debit_wallet": "source", "credit_wallet": "destination", "balance_after": "amount"},
     None, "RC106"),
])
def test_bad_shape_options_fail_and_change_nothing(legs: str, options: dict,
                                                   wallet_column: str | None,
                                                   code: str) -> None:
    before = sources(legs)
    with psycopg.connect(legs, autocommit=True) as c, pytest.raises(psycopg.Error) as e:
        c.execute("SELECT recon.register_ledger_source('bad', 'lw', 'legs.transfer', %s,"
                  " 'amount', %s)", (wallet_column, json.dumps(options)))
    assert e.value.sqlstate == code, e.value
    assert e.value.diag.message_hint
    assert sources(legs) == before


def test_write_paths_read_transfers_and_filters_and_refuse_the_other_shapes(legs: str) -> None:
    # transfer rows filtered on their own columns: guards and writers take them
    # (tests/test_shapes_write.py shows them at work); a drift guard reads parent rows and
    # rules through the legs (tests/test_shapes_guards.py); a double-entry guard refuses an
    # operation ledger (effects keyed on several columns), as the journal check does
    run(legs, "SELECT recon.enable_guard('drift', 'lt', '{\"mode\": \"block\"}')",
        "SELECT recon.register_writer('lt', '{\"offset_wallet\": \"world\"}')")
    with psycopg.connect(legs, autocommit=True) as c:
        with pytest.raises(psycopg.Error) as e:
            c.execute("SELECT recon.enable_guard('double_entry', 'mo')")
        assert e.value.sqlstate == "RC406"
        assert "signed or direction" in e.value.diag.message_primary and e.value.diag.message_hint
        # an INSERT cannot write the parent row its rules read: a posting function can
        with pytest.raises(psycopg.Error) as e:
            c.execute("SELECT recon.register_writer('mo', '{\"columns\": {}}')")
        assert e.value.sqlstate == "RC305"
        assert "parent rows" in e.value.diag.message_primary
    run(legs, "UPDATE legs.balance SET available = available + 1 WHERE id = 'm1'")
    reconcile(legs)
    # repairs read the legs of every shape. The ledger is double-entry (journal txn_id) but
    # its entries on the registered wallets do not sum to 0 (the side money comes from is not
    # a wallet here): a resync nobody chose is left to a person, saying so; chosen, it is
    # planned
    with psycopg.connect(legs, autocommit=True) as c, c.cursor() as cur:
        cur.execute("SELECT strategy, status, note FROM recon.fix(checks => ARRAY['mo_balance'])")
        [(strategy, status, note)] = cur.fetchall()
        assert (strategy, status) == ("resync", "manual")
        assert note.startswith("ledger mo is double-entry (journal txn_id), but its entries on"
                               " the wallets of mb sum to "), note
        cur.execute("SELECT strategy, status FROM recon.fix(checks => ARRAY['mo_balance'],"
                    " force_strategy => 'resync')")
        steps = cur.fetchall()
    assert steps == [("resync", "planned")]

    run(legs, "SELECT recon.enable_guard('drift', 'mo', '{\"mode\": \"block\"}')")
    assert rows(legs, "SELECT kind FROM recon.guards WHERE target = 'mo'") == [{"kind": "drift"}]


# --- docs/CHECKS.md "Ledger shapes": each psql example runs as written, and shows what it says -


def shape_examples() -> list[tuple[str, list[list[str]]]]:
    """(SQL block, the rows of the text block after it) of the "Ledger shapes" section."""
    text = (ROOT / "docs" / "CHECKS.md").read_text()
    section = text.split("### Ledger shapes", 1)[1].split("\n#", 1)[0]
    out = []
    for sql, table in re.findall(r"```sql\n(.*?)```\n+```text\n(.*?)```", section, re.S):
        lines = table.strip().splitlines()
        out.append((sql, [[c.strip() for c in line.split("|")] for line in lines[2:]]))
    return out


@pytest.mark.parametrize("index", range(3))
def test_shape_examples_in_the_docs_run_as_written(db: str, index: int) -> None:
    examples = shape_examples()
    assert len(examples) == 3
    sql, expected = examples[index]
    with psycopg.connect(db, autocommit=True) as c, c.cursor() as cur:
        cur.execute(sql.encode())
        while cur.nextset():
            pass
        got = [[str(v) for v in r] for r in cur.fetchall()]
    assert got == expected


def test_labels_are_shown_beside_the_key_in_every_kind_and_in_the_cli(legs: str) -> None:
    run(legs, "INSERT INTO legs.transfer (source, destination, amount, status, reference)"
              " VALUES ('a', 'b', 20.00, 'APPLIED', 'pay-1')",
        "UPDATE legs.wallet SET balance = balance - 20 WHERE id = 'a'",
        "UPDATE legs.wallet SET balance = balance + 27 WHERE id = 'b'")
    reconcile(legs)
    labels = {(f["check_name"], f["wallet_key"], f["details"].get("label"))
              for f in open_findings(legs) if f["check_name"].startswith("lt_")}
    assert labels == {("lt_balance", "b", "@bob"), ("lt_dups", "a", "@alice"),
                      ("lt_dups", "b", "@bob")}
    out = run_cli("report", dsn=legs)
    assert "b (@bob)" in out.stdout and "a (@alice)" in out.stdout, out.stdout
    html = run_cli("report", "--format", "html", dsn=legs)
    assert '<span class="label">@bob</span>' in html.stdout


@pytest.mark.parametrize("section", ["### Partitioned ledgers", "### Views as sources"])
def test_partition_and_view_examples_in_the_docs_run_as_written(db: str, section: str) -> None:
    text = (ROOT / "docs" / "CHECKS.md").read_text().split(section, 1)[1].split("\n#", 1)[0]
    sql, shown = re.findall(r"```sql\n(.*?)```\n+```text\n(.*?)```", text, re.S)[0]
    with psycopg.connect(db, autocommit=True) as c, c.cursor() as cur:
        cur.execute(sql.encode())
        while cur.nextset():
            pass
        (value,) = cur.fetchone()
    assert value == json.loads(shown)


def test_a_new_shape_is_one_row(legs: str) -> None:
    # a shape of one's own: the same table read as "payer pays payee", by one row of the registry
    run(legs, """INSERT INTO _recon.ledger_shape (shape, legs, description) VALUES ('payment',
                 '[{"side": "payer", "option": "payer", "multiplier": -1},
                   {"side": "payee", "option": "payee", "multiplier": 1}]', 'payer pays payee')""",
        "SELECT recon.register_ledger_source('lp', 'lw', 'legs.transfer', NULL, 'amount',"
        " '{\"payer\": \"source\", \"payee\": \"destination\", \"filters\": [{\"column\":"
        " \"status\", \"op\": \"=\", \"value\": \"APPLIED\"}], \"order_by\": \"id\"}')",
        "SELECT recon.register_check('lp_balance', 'balance', '{\"ledger\": \"lp\"}')")
    assert rows(legs, "SELECT count(*) AS n FROM recon.check_lp_balance") == [{"n": 0}]
    run(legs, "UPDATE legs.wallet SET balance = balance - 2 WHERE id = 'a'")
    reconcile(legs)
    assert [x for x in found(legs) if x[0] == "lp_balance"] == [
        ("lp_balance", "a", "balance", Decimal("-2.00"), None)]
    (src,) = rows(legs, "SELECT definition FROM recon.sources WHERE name = 'lp'")
    assert (src["definition"]["shape"], src["definition"]["legs"]) == (
        "payment", {"payer": "source", "payee": "destination"})


def test_a_lifecycle_hold_that_is_no_kind_of_entry_is_refused(legs: str) -> None:
    before = rows(legs, "SELECT name FROM recon.checks ORDER BY name")
    with psycopg.connect(legs, autocommit=True) as c, pytest.raises(psycopg.Error) as e:
        c.execute("SELECT recon.register_check('mo_holds', 'lifecycle', '{\"ledger\": \"mo\","
                  " \"hold\": \"HOLD\", \"terminal\": [\"COMMIT\"]}')")
    assert e.value.sqlstate == "RC106" and "COMMIT" in e.value.diag.message_detail
    assert rows(legs, "SELECT name FROM recon.checks ORDER BY name") == before
    run(legs, "SELECT recon.register_check('mo_holds', 'lifecycle', '{\"ledger\": \"mo\","
              " \"hold\": \"ON_HOLD/*\", \"terminal\": [\"COMMIT\"]}')")
