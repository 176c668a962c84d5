-- _recon.run_acknowledged(): a run's acknowledged findings, seen again as acknowledged.
CREATE OR REPLACE FUNCTION _recon.run_acknowledged(p_run bigint)
RETURNS bigint[]
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_acknowledged bigint[];
BEGIN
    -- An acknowledged finding (recon.fix, strategy acknowledge) seen again as it was
    -- acknowledged (the same difference, the finding open ever since, the acknowledgement not
    -- withdrawn) is not reported; it stays open, quietly. Once a run no longer sees it, it is
    -- resolved like any other, and the same drift later is a new finding.
    WITH ack AS (
        DELETE FROM _recon.run_stage AS s
        USING _recon.repair AS r, _recon.finding AS f
        WHERE s.run_id = p_run AND r.strategy = 'acknowledge' AND f.id = r.finding_id
          AND f.resolved_run IS NULL AND f.dropped_at IS NULL
          AND f.check_name = s.check_name AND f.finding_key = s.finding_key
          AND r.difference IS NOT DISTINCT FROM s.difference
          AND NOT EXISTS (SELECT FROM _recon.repair AS v WHERE v.reverses = r.id)
        RETURNING f.id
    )
    SELECT COALESCE(array_agg(DISTINCT ack.id), '{}') INTO v_acknowledged FROM ack;
    UPDATE _recon.finding AS f SET last_seen_run = p_run WHERE f.id = ANY (v_acknowledged);
    RETURN v_acknowledged;
END;
$body$;

COMMENT ON FUNCTION _recon.run_acknowledged(bigint) IS
'Phase 4 of recon.reconcile: takes off run p_run''s stage every finding acknowledged (recon.fix, '
'strategy acknowledge; not withdrawn) and seen again with the same difference, marks those '
'findings seen by the run, and returns their ids: they stay open, quietly.';

REVOKE EXECUTE ON FUNCTION _recon.run_acknowledged(bigint) FROM PUBLIC;
