"""The bank test (issue 7, item 5), after Jepsen's bank workload: the CI variant of
bench/bank.py (same workload, same verification, 12 s of load instead of 60).

Fixture tests/fixtures/bank.sql: 100 wallets summing to 100,000.00, a signed ledger with a
transfer id as its journal, a balance check, an INSERT writer and the bank's fix policy
(adjust, up to 2,500.00 a wallet).

16 connections transfer between random pairs of wallets (both locked FOR UPDATE in key order;
a transfer the payer cannot cover is refused under the lock, never overdrawn), while an
operator's connection runs recon.reconcile() and recon.fix(dry_run => false, ticket, reason)
every 1.5 s and a reader takes REPEATABLE READ snapshots of every balance. Four of the clients
also inject an incident's faults: transfers that move both balances but write their entries
wrong (none, one, twice, ten times the amount, or on a third wallet); deleted_leg, which
deletes one entry of a transfer the client committed earlier and moves no balance; and
forged_reversal, a transfer posted twice plus a 0.00 entry referenced REV-<the second copy's
id>, a forged reversal meant to hide the duplicate (issue 13).

- 5 s without the guard: the faults commit and the ledger drifts; the fixes repair it while
  the transfers go on. (Under the drift guard nothing can drift, so without this phase the
  fix would have nothing to do.) The bank keeps no running balance and registers no journal
  or duplicate check, so every repair is the bank's adjust on "no ledger evidence": a deleted
  leg comes back as an ADJUSTMENT of exactly that leg, and the forged REV- entry makes
  nothing reversed, skipped or left manual.
- 7 s with the drift guard on (block), switched on while the clients run: every fault is
  rejected at COMMIT with RC401 and leaves nothing (deleted_leg too: the guard takes a deleted
  entry's effect back, and no balance moved with it); read-modify-write transfers (a lost
  update when another transfer gets in between) are rejected when they race and commit when
  not. Meanwhile an unprivileged writer (bench/bank.py's Bypasser, role bank_bypasser: table
  rights only) tries issue 18's bypasses in turn, each on top of a drifting write: RESET ALL,
  set_config and SET LOCAL of the guard's setting, DISCARD ALL, forged calls of the guard
  functions, a balancing entry rolled back to a savepoint, a check fired and rolled back in a
  subtransaction, SET CONSTRAINTS ALL IMMEDIATE, an entry's and a wallet's re-key. Every attempt
  is rejected with its SQLSTATE (RC401, RC410, 25001; 23503 for the wallet re-key, which the
  entries' foreign key refuses first) and counted; none keeps anything.

The switch is recon.enable_guard() alone, while the transfers run: it takes the two tables'
locks in the application's order (wallets, then ledger) before creating its triggers, so the
transfers wait a moment and none deadlocks (it used to: the ledger's triggers came first).

What must hold is listed in bench/bank.py and checked by its verify(): every snapshot sums to
the total (plus the repairs' moves: none, adjust moves no balance); only the expected RC401s,
no 40P01, no 40001; every committed transaction has exactly its entries, less the legs the
deleted_legs removed (tracked exactly), a rejected one none; each forged REV- entry still
there naming a duplicate of its own transfer and wallet; every balance is its opening plus the
committed moves; ledger rows = seeded + the clients' + the fixes' ADJUSTMENT entries, which are
exactly recon.repairs' and add up, wallet by wallet, to the faults' drift, each repaired once;
every repair adjust on no ledger evidence, no REV- entry posted by a fix, no step manual or
skipped but for a wallet changed since the run; and the final reconcile, after the load and
without another fix, finds nothing (no fault's drift left manual). Run with -s for the figures.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from types import ModuleType

from conftest import ROOT, load_fixture


def _bench_bank(name: str = "bank") -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}",
                                                  ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


bank = _bench_bank()
CI = bank.Config(seconds=12, unguarded=5, clients=16, faulty=4, fix_every=1.5)
lfbank = _bench_bank("bank_ledger_first")
LF_CI = lfbank.Config(seconds=12, clients=16, faulty=4, fix_every=1.5)


def test_bank_transfers_under_the_drift_guard(db: str) -> None:
    load_fixture(db, "bank.sql")
    t0 = time.monotonic()
    res = bank.run(db, CI)
    print(f"\n{bank.report(res)}\n- test: {time.monotonic() - t0:.1f} s (load and verification)")

    assert res.problems == [], "\n".join(res.problems)
    # and the run was not vacuous: both phases transferred, the faults drifted the ledger
    # before the guard and the fixes repaired it, the guard rejected faults
    for phase in ("unguarded", "guarded"):
        assert res.committed(phase, ("transfer",)) > 100, phase
    assert res.committed("unguarded", bank.FAULTS) > 0
    assert res.facts["deleted_legs"] > 0 and res.facts["forged"] > 0
    assert res.facts["repairs"] > 0 and res.facts["adjustments"] > 0
    for fault in ("deleted_leg", "forged_reversal", None):
        kinds = bank.FAULTS if fault is None else (fault,)
        assert sum(n for (phase, kind, state), n in res.errors.items()
                   if phase == "guarded" and kind in kinds and state == "RC401") > 0, fault
    assert res.reader.taken > 100
    # issue 18: an unprivileged writer tried every bypass under the guard, each rejected with
    # its SQLSTATE (verify() fails the run on a commit or another error), none kept
    b = res.bypasser
    assert b is not None and b.committed == [] and b.unexpected == []
    assert {name for name, _ in b.rejected} == {name for name, _, _ in bank.BYPASSES}
    assert all(state in states for (name, state) in b.rejected
               for n, _, states in bank.BYPASSES if n == name)


def test_bank_transfers_through_a_ledger_first_writer(db: str) -> None:
    """The ledger-first bank (issue 16; bench/bank_ledger_first.py's docstring): its own
    routine moves balances, running balances and versions; double-posted transfers and deleted
    legs are repaired through it (reverse, restore) against world while 16 clients transfer and
    top up. Every snapshot sums to 0, no deadlock, no error, the books and chains hold."""
    load_fixture(db, "bank_ledger_first.sql")
    t0 = time.monotonic()
    res = lfbank.run(db, LF_CI)
    print(f"\n{lfbank.report(res)}\n- test: {time.monotonic() - t0:.1f} s (load and "
          "verification)")

    assert res.problems == [], "\n".join(res.problems)
    # not vacuous: transfers and top-ups, both faults committed and repaired, snapshots taken
    assert res.committed(("transfer",)) > 100 and res.committed(("topup",)) > 10
    assert res.facts["deleted_legs"] > 0 and res.facts["doubled"] > 0
    assert res.facts["strategies"].keys() == {"restore", "reverse"}
    assert res.reader.taken > 100


xbank = _bench_bank("bank_transfers")
XB_CI = xbank.Config(seconds=12, clients=16, faulty=4, fix_every=1.5)


def test_bank_transfers_on_a_transfer_row_ledger(db: str) -> None:
    """The transfer-row bank (issue 16; bench/bank_transfers.py's docstring): a Blnk-like
    ledger, one row per transfer, two legs each. Double-posted rows, deleted rows and mis-keyed
    amounts are repaired by rows against world (adjust) while 16 clients transfer. Every
    snapshot sums to 0 (the customers' to 100,000.00), no deadlock, no error, every balance is
    the sum of its legs, no repair wrote a customer's row and world's version went up."""
    load_fixture(db, "bank_transfers.sql")
    t0 = time.monotonic()
    res = xbank.run(db, XB_CI)
    print(f"\n{xbank.report(res)}\n- test: {time.monotonic() - t0:.1f} s (load and "
          "verification)")

    assert res.problems == [], "\n".join(res.problems)
    # not vacuous: transfers, every fault committed and repaired, snapshots taken
    assert res.committed(("transfer",)) > 100
    assert set(res.facts["faults"]) == set(xbank.FAULTS), res.facts["faults"]
    assert res.facts["repairs"] == 2 * sum(res.facts["faults"].values()) > 0
    assert res.reader.taken > 100
