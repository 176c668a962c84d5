-- The commit-time check a drift guard's ledger trigger queues through _recon_guard.drift_tick()
-- when a transaction's first guarded write is to the ledger.
CREATE OR REPLACE FUNCTION _recon.tg_guard_tick()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_setting text := format('wallet_recon.drift_%s', NEW.guard_id);
    v_acc text;
    v_tolerance numeric;
BEGIN
    SELECT g.tolerance INTO v_tolerance FROM _recon.guard AS g
    WHERE g.id = NEW.guard_id AND g.mode = 'block';
    IF FOUND THEN
        -- sealed: the sums are in _recon.guard_spill, whatever the setting says; the verdict
        -- (naming the wallets) only when one differs, else the rows are removed
        IF EXISTS (SELECT FROM _recon.guard_spill AS s
                   WHERE s.txid = pg_current_xact_id() AND s.guard_id = NEW.guard_id
                     AND (s.stored = 'NaN' OR s.ledger = 'NaN'
                          OR abs(s.stored - s.ledger) > v_tolerance)) THEN
            PERFORM _recon.guard_drift_verdict(NEW.guard_id, '!');
        ELSE
            DELETE FROM _recon.guard_spill AS s
            WHERE s.txid = pg_current_xact_id() AND s.guard_id = NEW.guard_id;
        END IF;
        RETURN NULL;
    END IF;
    -- as the guard's own check function (_recon.tg_drift_<id>_check) does
    v_acc := COALESCE(current_setting(v_setting, TRUE), '');
    IF v_acc = '' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config(v_setting, '', TRUE);
    IF v_acc <> '*' THEN
        PERFORM _recon.guard_drift_verdict(NEW.guard_id, v_acc);
    END IF;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.tg_guard_tick() IS
'Deferred constraint trigger of _recon.guard_tick (and of a sealed guard''s marker row of '
'_recon.guard_spill, trigger guard_tick_spill): at commit, judges the accumulator of drift '
'guard NEW.guard_id unless a check ran before (then it is empty): '
'_recon.guard_drift_verdict(). A guard in block mode: what _recon.guard_spill holds for the '
'transaction, whatever the setting says.';

REVOKE EXECUTE ON FUNCTION _recon.tg_guard_tick() FROM PUBLIC;

DROP TRIGGER IF EXISTS guard_tick_check ON _recon.guard_tick;
CREATE CONSTRAINT TRIGGER guard_tick_check
AFTER INSERT ON _recon.guard_tick
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION _recon.tg_guard_tick();
COMMENT ON TRIGGER guard_tick_check ON _recon.guard_tick IS
'Judges a drift guard''s accumulator when the transaction that ticked commits.';
