"""TODO (issue 14): guards and writers on the ledger shapes other than partitions.

Not collected (the name does not start with test_): on main today a drift guard and an INSERT
writer refuse every ledger that is not of 0.1's plain shape (_recon.ledger_plain: transfer
rows, filters, parent rows, effects keyed on several columns, several running balances) with
RC406 / RC305, and recon.fix plans such findings as manual. When they read the legs relation,
rename this file to test_shapes_guards.py: these are the cases issue 14 asks for ("A guard in
block mode stops a drifting write and lets a correct one through. A writer posts a repair that
the next reconcile sees as synced") on the fixtures of tests/test_shapes.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from test_shapes import SD_RAW_ENTRY, Write, attempt, found, shape_db  # noqa: F401

from conftest import fix, run

GUARDED_TODO: dict[str, tuple[list[str], list[Write]]] = {
    "transfer": (["xfer_transactions"], [
        Write("a transfer the application posts", [
            "SELECT xfer.post('g1', 'bln_alice', 'bln_bob', 5, 'APPLIED', 'g1')"], None),
        Write("a hold and its commit", [
            "SELECT xfer.post('g2', 'bln_alice', 'bln_bob', 5, 'INFLIGHT', 'g2')",
            "SELECT xfer.post('g3', 'bln_alice', 'bln_bob', 5, 'COMMIT', 'g2-c', 'g2')"], None),
        Write("a queued row (filtered out, it moves nothing)", [
            "SELECT xfer.post('g4', 'bln_alice', 'bln_bob', 5, 'QUEUED', 'g4')"], None),
        Write("a balance moved without a row", [
            "UPDATE xfer.balances SET balance = balance + 1 WHERE balance_id = 'bln_bob'"],
            "RC401"),
        Write("an inflight counter moved without a row", [
            "UPDATE xfer.balances SET inflight_debit_balance = inflight_debit_balance + 5,"
            " inflight_balance = inflight_balance - 5 WHERE balance_id = 'bln_alice'"], "RC401"),
        Write("an applied row that moved no balance", [
            "INSERT INTO xfer.transactions (transaction_id, source, destination, reference,"
            " amount, currency, status) VALUES ('g5', 'bln_alice', 'bln_bob', 'g5', 5, 'USD',"
            " 'APPLIED')"], "RC401"),
    ]),
    "operation": (["mz_operations"], [
        Write("a plain payment", [
            "SELECT mz.begin('g1', 'CREATED', FALSE, 5, now())",
            "SELECT mz.operate('g1', '@customer-1', 'DEBIT', 5, now())",
            "SELECT mz.operate('g1', '@merchant-1', 'CREDIT', 5, now())"], None),
        Write("a hold approved with its DEBIT (on_hold, through the parent's flag)", [
            "SELECT mz.set_status('tx5', 'APPROVED', now())",
            "SELECT mz.operate('tx5', '@customer-1', 'DEBIT', 50, now())",
            "SELECT mz.operate('tx5', '@merchant-1', 'CREDIT', 50, now())"], None),
        Write("a noted transaction (filtered out)", [
            "SELECT mz.begin('g2', 'NOTED', FALSE, 5, now())",
            "SELECT mz.operate('g2', '@customer-1', 'DEBIT', 5, now())"], None),
        Write("Bug #1: on_hold debited, no DEBIT operation", [
            "SELECT mz.set_status('tx5', 'APPROVED', now())",
            "UPDATE mz.balance SET on_hold = on_hold - 50 WHERE alias = '@customer-1'",
            "SELECT mz.operate('tx5', '@merchant-1', 'CREDIT', 50, now())"], "RC401"),
    ]),
    "softdelete": (["sd_entries"], [
        Write("a transfer", [
            "SELECT sd.transfer('g1', 2, 3, 5, 'g1', now())"], None),
        Write("a void (the rows leave through the filter, the balances move back)", [
            "SELECT sd.void('t4')"], None),
        Write("a failed row", [
            SD_RAW_ENTRY.format(amount=5, txn="g2", status="failed", voided="FALSE",
                                deleted_at="NULL", wallet=3)], None),
        Write("a counted row soft-deleted, the balance left", [
            "UPDATE sd.entry SET deleted_at = now() WHERE id = 12"], "RC401"),
        Write("a balance moved alone", [
            "UPDATE sd.wallet SET balance = balance + 1 WHERE id = 2"], "RC401"),
    ]),
}


GUARD_CASES = [pytest.param(fx, w, id=f"{fx}: {w.name}")
               for fx, (_, ws) in GUARDED_TODO.items() for w in ws]


@pytest.mark.parametrize(("fixture", "write"), GUARD_CASES)
def test_block_guard_stops_drift_and_lets_correct_writes_through(
    shape_db: Callable[[str], str], fixture: str, write: Write  # noqa: F811
) -> None:
    dsn = shape_db(fixture)
    targets, _ = GUARDED_TODO[fixture]
    run(dsn, *[f"SELECT recon.enable_guard('drift', '{t}', '{{\"mode\": \"block\"}}')"
               for t in targets])
    run(dsn, *write.setup)
    assert attempt(dsn, *write.sql) == write.sqlstate
    _, got = found(dsn)
    assert got == Counter(), got


# -- writers on the shapes --------------------------------------------------------------------------

WRITERS = {
    "softdelete": ("sd_entries", '{"offset_wallet": "1", "journal": "recon-{uuid}"}',
                   "UPDATE sd.wallet SET balance = balance + 5 WHERE id = 3"),
    "transfer": ("xfer_transactions",
                 '{"offset_wallet": "bln_world", "columns": {"transaction_id": "{uuid}",'
                 ' "currency": "USD", "status": "APPLIED"}}',
                 "UPDATE xfer.balances SET balance = balance + 5, credit_balance ="
                 " credit_balance + 5 WHERE balance_id = 'bln_dave'"),
}


@pytest.mark.parametrize("fixture", list(WRITERS))
def test_a_writer_posts_a_repair_the_next_reconcile_sees_synced(
    shape_db: Callable[[str], str], fixture: str  # noqa: F811
) -> None:
    dsn = shape_db(fixture)
    ledger, options, drift = WRITERS[fixture]
    run(dsn, f"SELECT recon.register_writer('{ledger}', $json$ {options} $json$)", drift)
    first, got = found(dsn)
    assert got
    steps = fix(dsn, run_id=first["run_id"], dry_run=False, ticket="T14", reason="shapes",
                force_strategy="adjust", wallet_limit=1000)
    assert steps and all(s["status"] == "applied" for s in steps), steps
    summary, got = found(dsn)
    assert got == Counter() and summary["status"] == "synced", got
