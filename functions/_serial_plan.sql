-- _recon.serial_plan(): a marker that keeps a query to a serial plan; folds to TRUE.
CREATE OR REPLACE FUNCTION _recon.serial_plan()
RETURNS boolean
LANGUAGE sql
IMMUTABLE
PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT TRUE;
$body$;

COMMENT ON FUNCTION _recon.serial_plan() IS
'TRUE. Being PARALLEL UNSAFE, its mere presence keeps the planner from a parallel plan for the '
'query; being IMMUTABLE it costs nothing per row. A balance check groups the ledger by wallet: '
'with many wallets, partial aggregation in parallel workers barely reduces the rows and the '
'leader then combines millions of numeric partial sums, slower than one serial pass '
'(docs/PERFORMANCE.md). It also makes a check query the way recon.reconcile() runs it: an '
'INSERT ... SELECT is never parallel in PostgreSQL 15.';

REVOKE EXECUTE ON FUNCTION _recon.serial_plan() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _recon.serial_plan() TO recon_auditor, recon_operator;
