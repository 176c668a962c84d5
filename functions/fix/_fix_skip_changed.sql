-- _recon.fix_skip_changed(): skip the steps whose finding is gone or changed since the run.
CREATE OR REPLACE FUNCTION _recon.fix_skip_changed(p_stage bigint, p_pre jsonb)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = CASE WHEN NOT COALESCE(p_pre -> s.check_name, '{}') ? s.finding_key
                    THEN 'already consistent: no longer found under the lock'
                    ELSE format('changed since the run: difference was %s, is now %s',
                                s.difference, p_pre -> s.check_name ->> s.finding_key) END
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered')
      AND s.strategy <> 'reversal'
      AND (NOT COALESCE(p_pre -> s.check_name, '{}') ? s.finding_key
           OR (p_pre -> s.check_name ->> s.finding_key)::numeric
              IS DISTINCT FROM s.difference);
END;
$body$;

COMMENT ON FUNCTION _recon.fix_skip_changed(bigint, jsonb) IS
'Phase 2 of _recon.fix_assess: skips each planned or covered step whose finding is no longer '
'found under the lock (already consistent) or whose difference changed since the run, from '
'p_pre (_recon.fix_recheck).';

REVOKE EXECUTE ON FUNCTION _recon.fix_skip_changed(bigint, jsonb) FROM PUBLIC;
