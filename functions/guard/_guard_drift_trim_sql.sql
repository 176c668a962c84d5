-- _recon.guard_drift_trim_sql(): an amount as a drift guard writes it.
CREATE OR REPLACE FUNCTION _recon.guard_drift_trim_sql(p_num text, p_exact boolean)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT CASE WHEN p_exact THEN p_num ELSE format('pg_catalog.trim_scale(%s)', p_num) END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_trim_sql(text, boolean) IS
'The numeric SQL expression p_num as is when the drift guard''s amounts print alike, else with '
'trailing zeros trimmed (5.50 as 5.5), so that equal amounts have equal text.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_trim_sql(text, boolean) FROM PUBLIC;
