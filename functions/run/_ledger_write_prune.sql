-- _recon.ledger_write_prune(): forget the recorded ledger writes no watermark needs.
CREATE OR REPLACE FUNCTION _recon.ledger_write_prune()
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- A write by a transaction below every watermark's snapshot_xmin had ended before each of
    -- them read the ledger: no run needs it. Runs hold the reconcile lock, so no watermark is
    -- being set unseen meanwhile; without a watermark, this snapshot's xmin bounds it.
    DELETE FROM _recon.ledger_write AS w
    -- (ORDER BY ... LIMIT 1, not min(): PostgreSQL 14 has no min(xid8))
    WHERE w.xid < COALESCE((SELECT m.snapshot_xmin FROM _recon.watermark AS m
                            ORDER BY m.snapshot_xmin LIMIT 1),
                           pg_snapshot_xmin(pg_current_snapshot()));
$body$;

COMMENT ON FUNCTION _recon.ledger_write_prune() IS
'Deletes the rows of _recon.ledger_write older than every watermark''s snapshot_xmin (or than '
'the current snapshot''s xmin when there is none): no incremental run needs them. Called by '
'the balance runs, under the reconcile lock.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_write_prune() FROM PUBLIC;
