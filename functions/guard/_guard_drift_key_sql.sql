-- _recon.guard_drift_key_sql(): a wallet key of a trigger row, as it is written in a drift
-- guard's accumulator.
CREATE OR REPLACE FUNCTION _recon.guard_drift_key_sql(p_relid oid, p_column name, p_row text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT _recon.guard_drift_key_expr_sql(_recon.column_type(p_relid, p_column),
                                           format('%s.%I', p_row, p_column));
$body$;

COMMENT ON FUNCTION _recon.guard_drift_key_sql(oid, name, text) IS
'PL/pgSQL expression for the wallet key of trigger row p_row (new or old), as text: escaped '
'(% as %25, comma as %2C) unless its type is a number or a uuid. _recon.guard_drift_records() '
'reads it back.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_key_sql(oid, name, text) FROM PUBLIC;
