-- _recon.tg_guard_statement(): a guard's statement trigger: stage what the statement changed.
CREATE OR REPLACE FUNCTION _recon.tg_guard_statement()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_guard integer := tg_argv[0]::integer;
    -- written by an audited recon.fix() statement: staged apart, not mixed with the rest
    v_fix bigint := CASE WHEN _recon.in_audited_fix()
                         THEN current_setting('wallet_recon.fix_id')::bigint ELSE 0 END;
    v_sql jsonb;
    v_stmt text;
BEGIN
    SELECT g.compiled -> 'sql' -> tg_argv[1] INTO v_sql FROM _recon.guard AS g WHERE g.id = v_guard;
    -- one set-based INSERT over the transition table(s), whatever the number of rows
    FOR v_stmt IN SELECT x FROM jsonb_array_elements_text(
        CASE jsonb_typeof(v_sql) WHEN 'array' THEN v_sql
                                 WHEN 'string' THEN jsonb_build_array(v_sql)
                                 ELSE '[]'::jsonb END) AS x LOOP
        EXECUTE v_stmt USING v_guard, v_fix;
    END LOOP;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.tg_guard_statement() IS
'Trigger function of the guards'' statement triggers on the user''s tables (arguments: guard '
'id, operation): runs the guard''s compiled SQL for that operation over the transition tables '
'recon_new / recon_old, staging in _recon.guard_pending what the commit-time check needs. '
'SECURITY DEFINER: the writing role needs no privilege on the toolkit''s tables.';

REVOKE EXECUTE ON FUNCTION _recon.tg_guard_statement() FROM PUBLIC;
