-- _recon.guard_drift_nullable(): whether a column of yours may hold NULL.
CREATE OR REPLACE FUNCTION _recon.guard_drift_nullable(p_relid oid, p_column name)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- NOT NULL (a primary key's columns are) rules NULL out; so does nothing else
    SELECT NOT COALESCE((SELECT a.attnotnull FROM pg_catalog.pg_attribute AS a
                         WHERE a.attrelid = p_relid AND a.attname = p_column
                           AND NOT a.attisdropped), FALSE);
$body$;

COMMENT ON FUNCTION _recon.guard_drift_nullable(oid, name) IS
'False when column p_column of table p_relid is NOT NULL: a drift guard''s generated code then '
'has no NULL test for it.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_nullable(oid, name) FROM PUBLIC;
