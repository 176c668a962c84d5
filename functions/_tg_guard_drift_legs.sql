-- _recon.tg_guard_drift_legs(): a drift guard's statement trigger on a ledger read through its
-- legs, or on a parent table of it.
CREATE OR REPLACE FUNCTION _recon.tg_guard_drift_legs()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_guard integer := tg_argv[0]::integer;
    v_setting text := format('wallet_recon.drift_%s', tg_argv[0]);
    v_sql jsonb;
    v_stmt text;
    v_rows bigint := 0;
    v_acc text;
BEGIN
    SELECT g.compiled -> 'sql' -> tg_argv[1] INTO v_sql FROM _recon.guard AS g
    WHERE g.id = v_guard;
    -- its statements in order (JSON null: none): the parent rows locked, or a parent row's
    -- change refused at an isolation level that cannot prove it; last, what the statement
    -- moved, per wallet and balance column, into _recon.guard_spill
    FOR v_stmt IN SELECT x FROM jsonb_array_elements_text(COALESCE(v_sql, '[]')) AS x
                  WHERE x IS NOT NULL LOOP
        EXECUTE v_stmt;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
    END LOOP;
    IF v_rows > 0 THEN
        -- the accumulator says that part of the transaction is spilled ('!'), after the mark
        -- of a queued commit-time check ('*'), queued here when nothing else has
        v_acc := COALESCE(current_setting(v_setting, TRUE), '');
        IF v_acc = '' THEN
            v_acc := _recon_guard.drift_tick(v_guard);
        END IF;
        IF NOT (starts_with(v_acc, '!') OR starts_with(v_acc, '*!')) THEN
            v_acc := '*!' || substr(v_acc, 2);
        END IF;
        PERFORM set_config(v_setting, v_acc, TRUE);
    END IF;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.tg_guard_drift_legs() IS
'Statement trigger function of a drift guard on a ledger whose effects a row alone does not '
'give (keyed on several columns, or reading parent rows), on the ledger and on each parent '
'table (arguments: guard id, <side>_<operation>): runs the guard''s compiled SQL for it over '
'the transition tables (parent rows locked FOR SHARE; a parent change refused where the '
'isolation level cannot prove it; last, _recon.guard_drift_legs_sql: what the statement moved '
'through the legs, per wallet and column, into _recon.guard_spill) and marks the transaction''s '
'accumulator, queueing the commit-time check. SECURITY DEFINER: the writer needs no right on '
'the toolkit''s tables, nor on the parent tables.';

REVOKE EXECUTE ON FUNCTION _recon.tg_guard_drift_legs() FROM PUBLIC;
