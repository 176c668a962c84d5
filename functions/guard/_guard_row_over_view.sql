-- _recon.guard_row_over_view(): a generated row trigger function made to read a view's row.
CREATE OR REPLACE FUNCTION _recon.guard_row_over_view(p_definition text, p_row_sql text)
RETURNS text
LANGUAGE sql
IMMUTABLE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
    -- The function sits on the base table. It reads NEW and OLD through the view's own query
    -- (p_row_sql over "(SELECT ($1).*)"): a row the view hides counts as absent, so an UPDATE
    -- that makes a row visible counts as an INSERT, one that hides it as a DELETE, and a row
    -- hidden before and after as nothing; the names are the view's columns.
    SELECT replace(replace(
        regexp_replace(regexp_replace(replace(p_definition,
            'tg_op OPERATOR(pg_catalog.=)', 'v_op OPERATOR(pg_catalog.=)'),
            '\mnew\.', 'v_new.', 'g'), '\mold\.', 'v_old.', 'g'),
        E'\nDECLARE\n', E'\nDECLARE\n    v_new pg_catalog.record;\n    v_old pg_catalog.record;\n'
            || E'    v_op pg_catalog.text;\n    v_shown pg_catalog.int8 := 0;\n'
            || E'    v_shown_old pg_catalog.int8 := 0;\n'),
        E'\nBEGIN\n', E'\nBEGIN\n'
            || E'    IF tg_op OPERATOR(pg_catalog.<>) \'DELETE\' THEN\n'
            || format(E'        EXECUTE %L INTO v_new USING new;\n', p_row_sql)
            || E'        GET DIAGNOSTICS v_shown = ROW_COUNT;\n'
            || E'    END IF;\n'
            || E'    IF tg_op OPERATOR(pg_catalog.<>) \'INSERT\' THEN\n'
            || format(E'        EXECUTE %L INTO v_old USING old;\n', p_row_sql)
            || E'        GET DIAGNOSTICS v_shown_old = ROW_COUNT;\n'
            || E'    END IF;\n'
            || E'    v_op := CASE WHEN v_shown OPERATOR(pg_catalog.>) 0 '
            || E'AND v_shown_old OPERATOR(pg_catalog.>) 0 THEN \'UPDATE\'\n'
            || E'                 WHEN v_shown OPERATOR(pg_catalog.>) 0 THEN \'INSERT\'\n'
            || E'                 WHEN v_shown_old OPERATOR(pg_catalog.>) 0 THEN \'DELETE\' END;\n'
            || E'    IF v_op IS NULL THEN\n        RETURN NULL;  -- the view shows neither\n'
            || E'    END IF;\n');
$body$;

COMMENT ON FUNCTION _recon.guard_row_over_view(text, text) IS
'Rewrites a drift guard''s generated row trigger function (_recon.guard_drift_function) for a '
'source that is a simple view: on the base table it reads NEW and OLD through the view''s query '
'p_row_sql (_recon.view_rows_sql over "(SELECT ($1).*)"), so only rows the view shows count, '
'by the view''s column names; a row entering or leaving the view counts as an INSERT or DELETE.';

REVOKE EXECUTE ON FUNCTION _recon.guard_row_over_view(text, text) FROM PUBLIC;
