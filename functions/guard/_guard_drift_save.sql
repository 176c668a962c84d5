-- _recon.guard_drift_save(): what every drift guard holds for this transaction, before an
-- audited repair writes.
CREATE OR REPLACE FUNCTION _recon.guard_drift_save()
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- Per drift guard: its accumulator (the transaction-local setting) and what a large
    -- transaction moved to _recon.guard_spill. _recon.guard_drift_restore() puts it back once
    -- the repair has written, so that the guards judge at commit what the transaction wrote
    -- before and after the repair, never the repair's own writes (which it verifies itself).
    SELECT COALESCE(jsonb_object_agg(g.id, jsonb_build_object(
               'acc', COALESCE(current_setting(format('wallet_recon.drift_%s', g.id), TRUE), ''),
               'spill', (SELECT COALESCE(jsonb_agg(to_jsonb(s) - 'txid' - 'guard_id'), '[]')
                         FROM _recon.guard_spill AS s
                         WHERE s.txid = pg_current_xact_id() AND s.guard_id = g.id))),
                    '{}')
    FROM _recon.guard AS g
    WHERE g.kind = 'drift';
$body$;

COMMENT ON FUNCTION _recon.guard_drift_save() IS
'Every drift guard''s accumulator for the current transaction (setting and spilled rows), as '
'jsonb, taken by an audited repair (recon.fix, recon.reverse_fix, recon.backfill) before it '
'writes; _recon.guard_drift_restore() puts it back after.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_save() FROM PUBLIC;
