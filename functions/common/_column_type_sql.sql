-- _recon.column_type_sql(): a column's declared type as SQL, for casts into it.
CREATE OR REPLACE FUNCTION _recon.column_type_sql(p_relid oid, p_column text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT format_type(a.atttypid, a.atttypmod)
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = p_relid AND a.attname = p_column AND a.attnum > 0 AND NOT a.attisdropped;
$body$;

COMMENT ON FUNCTION _recon.column_type_sql(oid, text) IS
'The declared type of a table column (with its modifier, e.g. numeric(14,2)), as SQL.';

REVOKE EXECUTE ON FUNCTION _recon.column_type_sql(oid, text) FROM PUBLIC;
