-- _recon.recompile_checks(): compile registered checks again with the installed compilers.
CREATE OR REPLACE FUNCTION _recon.recompile_checks(p_kinds text[])
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_check _recon.check_def;
    v_sql text;
    v_done integer := 0;
BEGIN
    -- A check's view is its query compiled at registration: a compiler that changes (a rule
    -- of what a duplicate or an orphan is) reaches the checks registered before only this way.
    -- Same columns, so recon.discrepancies and the view's grants and comment stay; a changed
    -- query also sends the next incremental run back to a full one (its md5 changes).
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c
                   WHERE c.kind = ANY (p_kinds) AND c.kind <> 'custom' ORDER BY c.name LOOP
        BEGIN
            v_sql := CASE v_check.kind
                WHEN 'balance' THEN _recon.compile_balance(v_check.name, v_check.options)
                WHEN 'derived' THEN _recon.compile_derived(v_check.name, v_check.options)
                WHEN 'total' THEN _recon.compile_total(v_check.name, v_check.options)
                WHEN 'coverage' THEN _recon.compile_coverage(v_check.name, v_check.options)
                WHEN 'duplicate' THEN _recon.compile_duplicate(v_check.name, v_check.options)
                WHEN 'orphan' THEN _recon.compile_orphan(v_check.name, v_check.options)
                WHEN 'chain' THEN _recon.compile_chain(v_check.name, v_check.options)
                WHEN 'journal' THEN _recon.compile_journal(v_check.name, v_check.options)
                WHEN 'lifecycle' THEN _recon.compile_lifecycle(v_check.name, v_check.options)
            END;
        EXCEPTION WHEN OTHERS THEN
            -- a check whose tables changed under it since: said, and left as it was
            RAISE WARNING 'wallet-recon: check % was not compiled again: %', v_check.name, SQLERRM
                USING HINT = 'Drop it and register it again (recon.drop_check, '
                             || 'recon.register_check).';
            CONTINUE;
        END;
        IF v_sql IS DISTINCT FROM v_check.compiled_sql THEN
            EXECUTE format('CREATE OR REPLACE VIEW recon.%I AS %s', v_check.view_name, v_sql);
            UPDATE _recon.check_def AS c SET compiled_sql = v_sql WHERE c.name = v_check.name;
            v_done := v_done + 1;
        END IF;
    END LOOP;
    RETURN v_done;
END;
$body$;

COMMENT ON FUNCTION _recon.recompile_checks(text[]) IS
'Compiles the registered checks of the given kinds again with the installed compilers and '
'replaces the views whose query changed (same columns); returns how many. A check that no '
'longer compiles is left as it was, with a WARNING. Run by the upgrade that changed the '
'balance, duplicate and orphan rules (this file), and safe to run at any time.';

REVOKE EXECUTE ON FUNCTION _recon.recompile_checks(text[]) FROM PUBLIC;

-- Applied by the migrator after every compiler and _recon.in_effect_sql (functions/ apply in
-- file-name order): the duplicate and orphan checks registered before reversals had to match
-- (0009), and the balance checks registered before an unknown wallet was one finding (0010),
-- are compiled again. On a fresh install there are none.
SELECT _recon.recompile_checks(
    ARRAY['balance', 'duplicate', 'orphan', 'chain', 'journal', 'lifecycle']
);
