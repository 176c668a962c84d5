-- _recon.guard_drift_ledgers(): the other ledgers a drift guard sums with its own.
CREATE OR REPLACE FUNCTION _recon.guard_drift_ledgers(
    p_ledger _recon.ledger_source, p_cols text[]
)
RETURNS SETOF _recon.ledger_source
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- Every ledger that a balance check sums together with p_ledger (its "ledger" list, one
    -- wallet source) and that moves one of the balance columns p_cols: a correct posting
    -- through it moves the same stored balance, so the guard adds its effects too.
    SELECT l.*
    FROM _recon.ledger_source AS l
    WHERE l.name <> p_ledger.name
      AND l.wallet_source = p_ledger.wallet_source
      AND EXISTS (SELECT FROM unnest(p_cols) AS b WHERE l.effects ? b)
      AND EXISTS (SELECT FROM _recon.check_def AS c
                  WHERE c.kind = 'balance'
                    AND jsonb_typeof(c.options -> 'ledger') = 'array'
                    AND c.options -> 'ledger' ? p_ledger.name
                    AND c.options -> 'ledger' ? l.name)
    ORDER BY l.name;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_ledgers(_recon.ledger_source, text[]) IS
'The ledgers a drift guard on ledger p_ledger sums with it: every other ledger listed with it '
'in a balance check''s "ledger" list (docs/CHECKS.md "several ledgers, one wallet table") that '
'moves one of the balance columns p_cols, by name. The guard adds their effects to the same '
'sums, so a correct posting through any of them passes.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_ledgers(_recon.ledger_source, text[])
FROM PUBLIC;
