-- _recon.column_type(): the base type of a table column (domains resolved).
CREATE OR REPLACE FUNCTION _recon.column_type(p_relid oid, p_column name)
RETURNS regtype
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT COALESCE(NULLIF(t.typbasetype, 0), a.atttypid)::regtype
    FROM pg_catalog.pg_attribute AS a
    JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
    WHERE a.attrelid = p_relid AND a.attname = p_column AND a.attnum > 0 AND NOT a.attisdropped;
$body$;

COMMENT ON FUNCTION _recon.column_type(oid, name) IS
'Base type of a column (a domain is resolved to its base type); NULL if there is no such column.';

REVOKE EXECUTE ON FUNCTION _recon.column_type(oid, name) FROM PUBLIC;
