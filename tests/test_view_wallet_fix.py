"""A wallet source on a simple view (balances keyed by account and currency, one view row per
wallet, as docs/CHECKS.md advises) is repaired through the view (tester finding adv5-11): the
apply read the view's `xmin`, which a view has not, and failed with a raw 42703 after a dry
run that said planned. A plain connection against a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from psycopg.types.json import Jsonb

from conftest import fix, reconcile, rows, run

VIEWED = """
CREATE SCHEMA vw;
CREATE TABLE vw.balance (account text, currency text, amount numeric(14, 2) NOT NULL,
                         PRIMARY KEY (account, currency));
CREATE TABLE vw.entry (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                       account text NOT NULL, currency text NOT NULL,
                       amount numeric(14, 2) NOT NULL,
                       wallet_key text GENERATED ALWAYS AS (account || ':' || currency) STORED,
                       reference text);
CREATE VIEW vw.wallet AS
    SELECT account || ':' || currency AS id, currency, amount AS balance FROM vw.balance;
INSERT INTO vw.balance VALUES ('a', 'USD', 100), ('a', 'EUR', 50);
INSERT INTO vw.entry (account, currency, amount) VALUES ('a', 'USD', 100), ('a', 'EUR', 50);
SELECT recon.register_wallet_source('vw_w', 'vw.wallet', 'id', ARRAY['balance'],
                                    '{"currency": "currency"}');
SELECT recon.register_ledger_source('vw_l', 'vw_w', 'vw.entry', 'wallet_key', 'amount',
    '{"entry_id": "id", "order_by": "id", "reference": "reference"}');
SELECT recon.register_check('vw_bal', 'balance', '{"ledger": "vw_l"}');
"""


@pytest.fixture
def viewed(make_db: Callable[..., str], fixture_template: Callable[..., str]) -> str:
    return make_db(fixture_template(sql=(VIEWED,)))


def test_a_resync_is_applied_through_a_simple_view(viewed: str) -> None:
    run(viewed, "UPDATE vw.balance SET amount = amount + 5 WHERE currency = 'USD'")
    reconcile(viewed)
    [planned] = fix(viewed, wallet_limits=Jsonb({"*": 100}))
    assert (planned["wallet_key"], planned["strategy"], planned["status"]) == (
        "a:USD", "resync", "planned")
    [done] = fix(viewed, wallet_limits=Jsonb({"*": 100}), dry_run=False, ticket="T", reason="drift")
    assert done["status"] == "applied", done
    assert {(r["account"], r["currency"]): r["amount"] for r in rows(
        viewed, "SELECT * FROM vw.balance")} == {
        ("a", "USD"): Decimal("100.00"), ("a", "EUR"): Decimal("50.00")}
    assert reconcile(viewed)["status"] == "synced"
