-- _recon.tg_guard_drift_begin_sealed(): a statement on a table a block-mode drift guard reads
-- through the legs relation begins.
CREATE OR REPLACE FUNCTION _recon.tg_guard_drift_begin_sealed()
RETURNS trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- As _recon.tg_guard_drift_begin, in the transaction's row of _recon.guard_window (the
    -- writer can neither read nor write it: SECURITY DEFINER). A statement that begins while
    -- another of the guard's is open makes the window mixed. A rollback to a savepoint takes
    -- the row back with the statement.
    INSERT INTO _recon.guard_window AS w (txid, guard_id, state)
    VALUES (pg_current_xact_id(), tg_argv[0]::integer, '1,0,0,0,0')
    ON CONFLICT (txid, guard_id) DO UPDATE
    SET state = concat_ws(',', split_part(w.state, ',', 1)::integer + 1,
                          CASE WHEN split_part(w.state, ',', 1)::integer > 0 THEN '1'
                               ELSE split_part(w.state, ',', 2) END,
                          split_part(w.state, ',', 3), split_part(w.state, ',', 4),
                          split_part(w.state, ',', 5));
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.tg_guard_drift_begin_sealed() IS
'Trigger function of a block-mode (sealed) drift guard''s BEFORE ... FOR EACH STATEMENT '
'triggers on a ledger read through its legs and on its parent tables (argument: guard id): '
'counts the statement open in the transaction''s row of _recon.guard_window, and marks the '
'window mixed when another one is open; _recon.guard_drift_window_sealed, called by the AFTER '
'trigger, closes it. SECURITY DEFINER: nothing the writer sets decides the window.';

REVOKE EXECUTE ON FUNCTION _recon.tg_guard_drift_begin_sealed() FROM PUBLIC;
