-- _recon.guard_drift_legs_mark(): a drift guard's statement trigger spilled ledger effects.
CREATE OR REPLACE FUNCTION _recon.guard_drift_legs_mark(p_guard integer)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_setting text := format('wallet_recon.drift_%s', p_guard);
    v_acc text := COALESCE(current_setting(v_setting, TRUE), '');
BEGIN
    IF EXISTS (SELECT FROM _recon.guard AS g WHERE g.id = p_guard AND g.mode = 'block') THEN
        -- sealed: a check queued by every statement, whatever the setting says
        PERFORM _recon_guard.drift_tick(p_guard);
        RETURN;
    END IF;
    -- the accumulator says that part of the transaction is spilled ('!'), after the mark of a
    -- queued commit-time check ('*'), queued here when nothing else has
    IF v_acc = '' THEN
        v_acc := _recon_guard.drift_tick(p_guard);
    END IF;
    IF NOT (starts_with(v_acc, '!') OR starts_with(v_acc, '*!')) THEN
        v_acc := '*!' || substr(v_acc, 2);
    END IF;
    PERFORM set_config(v_setting, v_acc, TRUE);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_legs_mark(integer) IS
'Called by a drift guard''s statement trigger function (_recon.tg_drift_<id>_legs) after it '
'added ledger effects to _recon.guard_spill: marks the transaction''s accumulator spilled '
'(''!''), queueing the commit-time check (_recon_guard.drift_tick) when none is queued yet. '
'In block mode it queues a check at every call and leaves the setting alone.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_legs_mark(integer) FROM PUBLIC;
