-- _recon.column_sql(): "alias.column", or a typed NULL when the optional column is not registered.
CREATE OR REPLACE FUNCTION _recon.column_sql(p_alias text, p_column name, p_null_type text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT CASE WHEN p_column IS NULL THEN 'NULL::' || p_null_type
                ELSE format('%I.%I', p_alias, p_column) END;
$body$;

COMMENT ON FUNCTION _recon.column_sql(text, name, text) IS
'SQL for an optional ledger column: the quoted alias.column, or NULL cast to p_null_type when the '
'column was not registered (so that max(), array_agg() and jsonb_agg() still know its type).';

REVOKE EXECUTE ON FUNCTION _recon.column_sql(text, name, text) FROM PUBLIC;
