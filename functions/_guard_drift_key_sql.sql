-- _recon.guard_drift_key_sql(): a wallet key of a trigger row, as it is written in a drift
-- guard's accumulator.
CREATE OR REPLACE FUNCTION _recon.guard_drift_key_sql(p_relid oid, p_column name, p_row text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- The accumulator separates its records with ',': a key whose text can hold one (text,
    -- varchar, ...) has its '%' and ',' escaped; numbers and uuids are written as they are.
    SELECT CASE WHEN t.typcategory = 'N' OR t.oid = 'uuid'::regtype
                THEN format('(%s.%I)::pg_catalog.text', p_row, p_column)
                ELSE format('pg_catalog.replace(pg_catalog.replace((%s.%I)::pg_catalog.text, '
                            '''%%'', ''%%25''), '','', ''%%2C'')', p_row, p_column) END
    FROM pg_catalog.pg_type AS t
    WHERE t.oid = _recon.column_type(p_relid, p_column);
$body$;

COMMENT ON FUNCTION _recon.guard_drift_key_sql(oid, name, text) IS
'PL/pgSQL expression for the wallet key of trigger row p_row (new or old), as text: escaped '
'(% as %25, comma as %2C) unless its type is a number or a uuid. _recon.guard_drift_records() '
'reads it back.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_key_sql(oid, name, text) FROM PUBLIC;
