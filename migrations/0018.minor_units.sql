-- 0018 minor units (issue 15 item 3): an amount or balance column may hold integers of minor
-- units (cents, satoshis) with a scale, fixed per source or per row from a precision column;
-- the checks read them in major units, exactly (docs/CHECKS.md "Minor units").
ALTER TABLE _recon.ledger_source ADD COLUMN amount_scale jsonb;

COMMENT ON COLUMN _recon.ledger_source.amount_scale IS
'The scale of the amount column (and of the running balances), when it holds minor units: '
'{"places": n} (a fixed number of decimal places), or {"column": c, "as": "places"|"multiplier"} '
'(per row, from an integer column of the ledger). NULL: the amounts are in major units.';

ALTER TABLE _recon.wallet_source ADD COLUMN balance_scale jsonb;

COMMENT ON COLUMN _recon.wallet_source.balance_scale IS
'The scale of the stored balance columns, when they hold minor units: {"places": n}, or '
'{"column": c, "as": "places"|"multiplier"} (per wallet, from an integer column of the wallet '
'table). NULL: the balances are in major units.';
