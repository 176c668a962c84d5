-- _recon.guard_drift_sums(): the ledgers a drift guard on a ledger sums, by name.
CREATE OR REPLACE FUNCTION _recon.guard_drift_sums(p_ledger text)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- the ledger itself and _recon.guard_drift_ledgers on the balance columns it moves (as
    -- _recon.guard_drift_compile computes them), sorted: what recon.enable_guard records in
    -- the guard's "compiled" and _recon.guard_follow_checks compares with
    SELECT jsonb_agg(x.name ORDER BY x.name)
    FROM (SELECT l.name
          FROM _recon.ledger_source AS l WHERE l.name = p_ledger
          UNION
          SELECT o.name
          FROM _recon.ledger_source AS l
          JOIN _recon.wallet_source AS w ON w.name = l.wallet_source
          CROSS JOIN LATERAL _recon.guard_drift_ledgers(
              l, ARRAY(SELECT b FROM unnest(w.balance_columns) AS b WHERE l.effects ? b)) AS o
          WHERE l.name = p_ledger) AS x;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_sums(text) IS
'The ledgers a drift guard on ledger p_ledger sums, as a sorted JSON array of names: the ledger '
'and every other ledger a balance check lists with it on the balance columns it moves '
'(_recon.guard_drift_ledgers). Recorded in _recon.guard.compiled -> ''ledgers'' when the guard '
'is enabled; _recon.guard_follow_checks recompiles a guard whose set it changed.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_sums(text) FROM PUBLIC;
