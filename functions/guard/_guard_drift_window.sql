-- _recon.guard_drift_window(): a warn-mode drift guard's statement reading the legs ends; its
-- window is a transaction-local setting.
CREATE OR REPLACE FUNCTION _recon.guard_drift_window(
    p_guard integer, p_table text, p_ledger boolean, p_counts boolean
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_setting text := format('wallet_recon.drift_%s_stmt', p_guard);
BEGIN
    -- Warn mode: the writer can set the window (docs/SECURITY.md); a sealed guard keeps it in
    -- _recon.guard_window (_recon.guard_drift_window_sealed).
    PERFORM set_config(v_setting, _recon.guard_drift_window_next(
        p_guard, p_table, p_ledger, p_counts, current_setting(v_setting, TRUE)), TRUE);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_window(integer, text, boolean, boolean) IS
'Called first by a warn-mode drift guard''s AFTER statement trigger reading the legs '
'(_recon.tg_drift_<id>_legs) on the ledger (p_ledger; p_counts: it wrote rows) or a parent '
'table p_table (p_counts: it changed a column the legs read): closes the statement that '
'_recon.tg_guard_drift_begin opened in the transaction-local setting '
'wallet_recon.drift_<id>_stmt, refusing (warning about) overlapping statements it cannot read '
'(_recon.guard_drift_window_next).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_window(integer, text, boolean, boolean)
FROM PUBLIC;
