"""Leftovers of the repair review (session 12), each through SQL from a plain connection:

1. an offset wallet of another currency than the wallet's: the dry run says what apply refuses
   (manual, naming both currencies), never "planned" then RC307;
2. recon.reverse_fix of a lifecycle repair posts into the journal the repair posted into, and
   the reversal conserves;
3. an INSERT writer on a ledger with a per-row currency column fills it with the wallet's
   currency;
4. a user's DROP SCHEMA ... CASCADE never drops a toolkit object (recon.discrepancies)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import psycopg
import pytest
from psycopg.types.json import Jsonb
from helpers import one, row_snapshot

from conftest import fix, reconcile, rows, run

LIMITS = {"wallet_limits": Jsonb({"*": 1000})}
APPLY = {"dry_run": False, "ticket": "INC-12", "reason": "session 12", **LIMITS}


@pytest.fixture
def lf(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    """tests/fixtures/ledger_first.sql (a clone): a ledger-first writer against 'world'."""
    return make_db(fixture_template("ledger_first.sql"))


# --- 1. an offset wallet of another currency ----------------------------------------------------

@pytest.mark.parametrize("moves_balances", [True, False])
def test_an_offset_wallet_of_another_currency_is_manual_in_the_dry_run(
        lf: str, moves_balances: bool) -> None:
    """world holds USD, carol EUR: an adjustment of carol against world would book EUR into a
    USD account (RC307 at apply). The dry run says so, naming world and both currencies, and
    applying does exactly what the dry run said: nothing."""
    run(lf, "UPDATE lf.account SET currency = 'USD' WHERE id = 'world'",
        "SELECT recon.register_writer('lf_entries', '{\"function\": \"lf.recon_post(jsonb)\","
        " \"offset_wallet\": \"world\", \"journal\": \"recon-{fix}-{step}\","
        f" \"moves_balances\": {str(moves_balances).lower()}}}')",
        "SELECT recon.set_fix_policy('lf_balance', '{\"strategy\": \"adjust\"}')",
        "UPDATE lf.account SET balance = balance + 25 WHERE id = 'carol'")
    reconcile(lf)
    [step] = fix(lf, **LIMITS)
    assert step["status"] == "skipped", step
    assert "world" in step["note"] and "USD" in step["note"] and "EUR" in step["note"]
    before = row_snapshot(lf, "lf.account", "lf.entry")
    [done] = fix(lf, **APPLY)
    assert (done["status"], done["note"]) == (step["status"], step["note"])
    assert row_snapshot(lf, "lf.account", "lf.entry") == before
    if not moves_balances:
        return  # (lf.recon_post moves balances itself: the contract without it is another test's)
    # a wallet of world's currency is still adjusted against it
    run(lf, "INSERT INTO lf.account (id, currency, balance) VALUES ('dan', 'USD', 7)")
    reconcile(lf)
    plan = {s["wallet_key"]: (s["status"], s["note"]) for s in fix(lf, **LIMITS)}
    assert {k: v[0] for k, v in plan.items()} == {"carol": "skipped", "dan": "planned"}, plan
    assert {s["wallet_key"]: s["status"] for s in fix(lf, **APPLY)} == {
        "carol": "skipped", "dan": "applied"}
