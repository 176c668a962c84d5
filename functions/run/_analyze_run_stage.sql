-- _recon.analyze_run_stage(): fresh statistics for the stage, unless that means waiting.
CREATE OR REPLACE FUNCTION _recon.analyze_run_stage()
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- autovacuum working on the stage holds the lock ANALYZE needs: never wait behind it
SET lock_timeout = '50ms'
AS $body$
BEGIN
    ANALYZE _recon.run_stage;
    RETURN TRUE;
EXCEPTION WHEN lock_not_available THEN
    -- the statistics of an earlier run stay: plans may be slower, never results different
    RETURN FALSE;
END;
$body$;

COMMENT ON FUNCTION _recon.analyze_run_stage() IS
'ANALYZE of _recon.run_stage for recon.reconcile(), so the joins over a run''s findings are '
'planned on their number; skipped (false) when its lock is not granted within 50 ms (autovacuum '
'on the stage), so a run never stalls behind it. Statistics only: results do not depend on it.';

REVOKE EXECUTE ON FUNCTION _recon.analyze_run_stage() FROM PUBLIC;
