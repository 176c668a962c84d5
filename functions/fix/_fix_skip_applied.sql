-- _recon.fix_skip_applied(): skip the steps a repair already applied.
CREATE OR REPLACE FUNCTION _recon.fix_skip_applied(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- 3. Applied before (this plan twice, or another operator): the unique repair key says so.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', repair_id = r.id,
        note = format('already applied: repair %s (fix %s, ticket %s)', r.id, r.fix_id, r.ticket)
    FROM _recon.repair AS r
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered')
      AND r.repair_key = s.repair_key;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_skip_applied(bigint) IS
'Phase 3 of _recon.fix_assess: skips each step whose repair key an earlier repair holds (this '
'plan applied twice, or by another operator), naming that repair.';

REVOKE EXECUTE ON FUNCTION _recon.fix_skip_applied(bigint) FROM PUBLIC;
