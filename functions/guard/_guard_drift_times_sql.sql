-- _recon.guard_drift_times_sql(): an amount times an effect's multiplier, as qualified SQL.
CREATE OR REPLACE FUNCTION _recon.guard_drift_times_sql(p_amount text, p_times numeric)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT CASE p_times
        WHEN 1 THEN p_amount
        WHEN -1 THEN format('(OPERATOR(pg_catalog.-) %s)', p_amount)
        ELSE format('(%s OPERATOR(pg_catalog.*) %s::pg_catalog.numeric)', p_amount,
                    quote_literal(p_times))
    END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_times_sql(text, numeric) IS
'p_amount (an SQL expression) times p_times, with a schema-qualified operator: the amount as '
'it is for 1, negated for -1.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_times_sql(text, numeric) FROM PUBLIC;
