-- _recon.fix_report(): what recon.fix() and recon.reverse_fix() return, from the stage.
CREATE OR REPLACE FUNCTION _recon.fix_report(p_stage bigint)
RETURNS SETOF recon.fix_step
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT s.step, s.finding_id, s.check_name, s.wallet_key, s.strategy, s.amount,
           CASE WHEN s.repair_id IS NOT NULL AND s.status = 'applied' THEN COALESCE((
                    SELECT jsonb_agg(e.posting || jsonb_build_object('entry_id', e.entry))
                    FROM _recon.repair_entry AS e WHERE e.repair_id = s.repair_id), '[]')
                ELSE s.postings END,
           s.stored_before, s.stored_after, s.status, s.note, s.repair_id, s.currency,
           s.stored_change, s.ledger_change, s.evidence
    FROM _recon.fix_stage AS s
    WHERE s.stage_id = p_stage
    ORDER BY s.step;
$body$;

COMMENT ON FUNCTION _recon.fix_report(bigint) IS
'The rows recon.fix() returns for a staged plan: one per step; for an applied step, the '
'entries it posted (with their ids) instead of the planned ones.';

REVOKE EXECUTE ON FUNCTION _recon.fix_report(bigint) FROM PUBLIC;
