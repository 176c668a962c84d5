-- _recon.view_rows_sql(): a simple view's query over other rows of its base table's type.
CREATE OR REPLACE FUNCTION _recon.view_rows_sql(p_view oid, p_rows text)
RETURNS text
LANGUAGE plpgsql
STABLE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_base oid := _recon.base_table(p_view);
    v_def text;
    v_name text;
    v_from text;
    v_at integer;
    v_after text;
BEGIN
    IF v_base IS NULL THEN
        RETURN NULL;
    END IF;
    -- Deparsed with an empty search_path, every name but pg_catalog's is schema-qualified, so
    -- the text means the same wherever it runs. Its one FROM item is the base table; it is
    -- replaced by p_rows (a transition table, a row). Anything unexpected: NULL (refused).
    PERFORM set_config('search_path', '', TRUE);
    v_def := rtrim(pg_get_viewdef(p_view), E'; \n');
    v_name := v_base::regclass::text;
    PERFORM set_config('search_path', 'pg_catalog, pg_temp', TRUE);
    v_from := 'FROM ' || v_name;
    v_at := strpos(v_def, v_from);
    IF v_at = 0 OR length(v_def) - length(replace(v_def, v_name, '')) <> length(v_name) THEN
        RETURN NULL;  -- the table's name more than once (a literal, a column alias): refused
    END IF;
    v_after := substr(v_def, v_at + length(v_from));
    IF v_after ~ '^ [a-z_][a-z0-9_$]*(\s|$)' THEN  -- FROM schema.table alias
        RETURN overlay(v_def PLACING 'FROM ' || p_rows FROM v_at FOR length(v_from));
    ELSIF v_after ~ '^(\s|$)' THEN  -- no alias: columns read table.column
        RETURN overlay(v_def PLACING format('FROM %s AS %I', p_rows,
                                            (SELECT c.relname FROM pg_class AS c
                                             WHERE c.oid = v_base))
                       FROM v_at FOR length(v_from));
    END IF;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.view_rows_sql(oid, text) IS
'A simple view''s own query (_recon.base_table) with its base table replaced by p_rows (a '
'transition table name, or "(SELECT ($1).*)" for one row): the rows of p_rows the view shows, '
'in the view''s columns, through the view''s WHERE. NULL when the view is not simple or its '
'deparsed text cannot be rewritten safely (the guard is then refused).';

REVOKE EXECUTE ON FUNCTION _recon.view_rows_sql(oid, text) FROM PUBLIC;
