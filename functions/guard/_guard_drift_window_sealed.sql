-- _recon.guard_drift_window_sealed(): a block-mode drift guard's statement reading the legs
-- ends; its window is a row of _recon.guard_window.
CREATE OR REPLACE FUNCTION _recon.guard_drift_window_sealed(
    p_guard integer, p_table text, p_ledger boolean, p_counts boolean
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_txid xid8 := pg_current_xact_id();
    v_state text;
BEGIN
    -- Called by the guard's SECURITY DEFINER statement trigger function: the row is the
    -- toolkit's alone (no setting the writer can reach), and goes when the window closes.
    SELECT w.state INTO v_state FROM _recon.guard_window AS w
    WHERE w.txid = v_txid AND w.guard_id = p_guard;
    v_state := _recon.guard_drift_window_next(p_guard, p_table, p_ledger, p_counts, v_state);
    IF v_state = '0,0,0,0,0' THEN
        DELETE FROM _recon.guard_window AS w WHERE w.txid = v_txid AND w.guard_id = p_guard;
    ELSE
        UPDATE _recon.guard_window AS w SET state = v_state
        WHERE w.txid = v_txid AND w.guard_id = p_guard;
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_window_sealed(integer, text, boolean, boolean) IS
'As _recon.guard_drift_window, for a sealed (block-mode) drift guard: the window that '
'_recon.tg_guard_drift_begin_sealed opened is the transaction''s row of _recon.guard_window, '
'which the writer cannot reach; deleted when its last statement closes. Called by the '
'guard''s SECURITY DEFINER statement trigger function (_recon.tg_drift_<id>_legs).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_window_sealed(integer, text, boolean, boolean)
FROM PUBLIC;
