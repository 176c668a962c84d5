-- _recon.guard_drift_nan_sql(): the condition under which a drift guard's amount never cancels.
CREATE OR REPLACE FUNCTION _recon.guard_drift_nan_sql(
    p_nums text[], p_nullable boolean, p_nan boolean
)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- NULL (when the column may hold it) or NaN (when its type has it) in any of the numeric
    -- expressions p_nums; NULL when neither can happen, so that no test is generated
    SELECT NULLIF(concat_ws(' OR ',
        (SELECT string_agg(format('%s IS NULL', n), ' OR ') FROM unnest(p_nums) AS n
         WHERE p_nullable),
        (SELECT string_agg(format('%s OPERATOR(pg_catalog.=) %L', n, 'NaN'), ' OR ')
         FROM unnest(p_nums) AS n WHERE p_nan)), '');
$body$;

COMMENT ON FUNCTION _recon.guard_drift_nan_sql(text[], boolean, boolean) IS
'SQL condition (for a drift guard''s generated code) true when one of the numeric expressions '
'p_nums is NULL (if p_nullable) or NaN (if p_nan): such an amount is written NaN and never '
'cancels. NULL when no test is needed.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_nan_sql(text[], boolean, boolean) FROM PUBLIC;
