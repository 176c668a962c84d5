-- _recon.tg_guard_drift_begin(): a statement on a table a drift guard reads through the legs
-- relation begins.
CREATE OR REPLACE FUNCTION _recon.tg_guard_drift_begin()
RETURNS trigger
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    -- wallet_recon.drift_<guard>_stmt: "open,mixed,ledger,parent,reported" (see
    -- _recon.guard_drift_window); open: the guard's statements begun and not ended yet
    v_setting text := 'wallet_recon.drift_' || tg_argv[0] || '_stmt';
    v_state text[] := string_to_array(
        COALESCE(NULLIF(current_setting(v_setting, TRUE), ''), '0,0,0,0,0'), ',');
BEGIN
    -- Runs as the writer, on nothing but the setting. A statement that begins while another
    -- one of the guard's is open (a data-modifying WITH, a statement run by a trigger from one
    -- of them) makes the window "mixed": their AFTER triggers both read the tables as the
    -- last of them left them.
    PERFORM set_config(v_setting, concat_ws(',', v_state[1]::integer + 1,
                                            CASE WHEN v_state[1]::integer > 0 THEN '1'
                                                 ELSE v_state[2] END,
                                            v_state[3], v_state[4], v_state[5]), TRUE);
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.tg_guard_drift_begin() IS
'Trigger function of a drift guard''s BEFORE ... FOR EACH STATEMENT triggers on a ledger read '
'through its legs and on its parent tables (argument: guard id): counts the statement open in '
'the transaction-local setting wallet_recon.drift_<id>_stmt, and marks the window mixed when '
'another one is open (a data-modifying WITH, a trigger''s statement); '
'_recon.guard_drift_window, called by the AFTER trigger, closes it. Runs as the writer.';

REVOKE EXECUTE ON FUNCTION _recon.tg_guard_drift_begin() FROM PUBLIC;
