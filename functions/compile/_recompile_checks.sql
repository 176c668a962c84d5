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
                   JOIN _recon.check_kind AS k ON k.kind = c.kind
                   WHERE c.kind = ANY (p_kinds) AND NOT k.user_query ORDER BY c.name LOOP
        BEGIN
            v_sql := _recon.compile_check(_recon.kind(v_check.kind), v_check.name,
                                          v_check.options);
        EXCEPTION WHEN OTHERS THEN
            -- a check whose tables changed under it since: said, and left as it was
            RAISE WARNING 'wallet-recon: check % was not compiled again: %', v_check.name, SQLERRM
                USING HINT = 'Drop it and register it again (recon.drop_check, '
                             || 'recon.register_check).';
            CONTINUE;
        END;
        IF v_sql IS DISTINCT FROM v_check.compiled_sql THEN
            BEGIN
                EXECUTE format('CREATE OR REPLACE VIEW recon.%I AS %s', v_check.view_name, v_sql);
            EXCEPTION WHEN OTHERS THEN
                -- a view that cannot be replaced (its columns changed, an object of yours
                -- depends on it): said, and left as it was, so that an upgrade goes on
                RAISE WARNING 'wallet-recon: the view of check % was not replaced: %',
                    v_check.name, SQLERRM
                    USING HINT = 'Drop the check and register it again (recon.drop_check, '
                                 || 'recon.register_check).';
                CONTINUE;
            END;
            UPDATE _recon.check_def AS c SET compiled_sql = v_sql WHERE c.name = v_check.name;
            v_done := v_done + 1;
        END IF;
    END LOOP;
    RETURN v_done;
END;
$body$;

COMMENT ON FUNCTION _recon.recompile_checks(text[]) IS
'Compiles the registered checks of the given kinds again with their kinds'' compilers '
'(_recon.check_kind; a custom query is never compiled again) and replaces the views whose '
'query changed (same columns); returns how many. A check that no longer compiles is left as '
'it was, with a WARNING, and so is a view that cannot be replaced. Run by every upgrade that '
'applied anything of the repeatable layer (migrator/core.py), for every kind, and safe to run '
'at any time.';

REVOKE EXECUTE ON FUNCTION _recon.recompile_checks(text[]) FROM PUBLIC;
