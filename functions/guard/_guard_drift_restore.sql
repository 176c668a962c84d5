-- _recon.guard_drift_restore(): put back what _recon.guard_drift_save() took.
CREATE OR REPLACE FUNCTION _recon.guard_drift_restore(p_saved jsonb)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_guard text;
    v_state jsonb;
BEGIN
    -- The drift guards' row triggers added the repair's own writes to their accumulators: the
    -- repair verified those writes itself (and audited them), so each accumulator goes back to
    -- what the transaction had written before the repair. Its commit-time checks stay queued.
    FOR v_guard, v_state IN SELECT e.key, e.value FROM jsonb_each(p_saved) AS e LOOP
        PERFORM set_config(format('wallet_recon.drift_%s', v_guard), v_state ->> 'acc', TRUE);
        DELETE FROM _recon.guard_spill AS s
        WHERE s.txid = pg_current_xact_id() AND s.guard_id = v_guard::integer;
        INSERT INTO _recon.guard_spill (txid, guard_id, item, col, stored, ledger)
        SELECT pg_current_xact_id(), v_guard::integer, r.item, r.col, r.stored, r.ledger
        FROM jsonb_to_recordset(v_state -> 'spill')
            AS r (item text, col integer, stored numeric, ledger numeric);
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_restore(jsonb) IS
'Puts back every drift guard''s accumulator as _recon.guard_drift_save() took it, once an '
'audited repair has written: the guards judge the rest of the transaction at commit, not the '
'repair''s own writes.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_restore(jsonb) FROM PUBLIC;
