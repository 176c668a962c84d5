-- _recon_guard.drift_spill(): move a drift guard's large accumulator to _recon.guard_spill.
CREATE OR REPLACE FUNCTION _recon_guard.drift_spill(p_guard integer, p_acc text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    IF NOT EXISTS (SELECT FROM _recon.guard AS g WHERE g.id = p_guard AND g.kind = 'drift') THEN
        PERFORM _recon.fail('RC107', format('no drift guard %s', p_guard),
                            'Only a drift guard''s trigger functions spill their accumulator.',
                            'SELECT * FROM recon.guards;');
    END IF;
    PERFORM _recon.guard_refuse_sealed(p_guard);
    PERFORM _recon.guard_drift_spill(p_guard, p_acc);
    RETURN '*!';  -- a check is queued (the accumulator was not empty); part of it is spilled
END;
$body$;

COMMENT ON FUNCTION _recon_guard.drift_spill(integer, text) IS
'Called by a drift guard''s trigger functions, as the writer, when the transaction''s '
'accumulator p_acc grew past 8 kB: adds its records to _recon.guard_spill '
'(_recon.guard_drift_spill) and returns the new accumulator, ''*!''. Any role may call it: the '
'rows are the calling transaction''s, taken back with it, and judged and removed at its '
'commit. RC107 for a guard that is not a drift guard, RC410 for one in block mode (its row '
'functions write _recon.guard_spill themselves: a caller''s records would forge it).';

REVOKE EXECUTE ON FUNCTION _recon_guard.drift_spill(integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _recon_guard.drift_spill(integer, text) TO PUBLIC;
