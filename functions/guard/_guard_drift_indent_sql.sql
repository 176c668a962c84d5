-- _recon.guard_drift_indent_sql(): a branch of a drift guard's generated trigger function.
CREATE OR REPLACE FUNCTION _recon.guard_drift_indent_sql(
    p_code text, p_setting text, p_write boolean
)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- p_code indented under its IF; with p_write (several records in the branch, none of
    -- which wrote the setting) the accumulator is written once at the end
    SELECT regexp_replace(rtrim(p_code, E'\n')
                          || CASE WHEN p_write THEN format(
                                 E'\nv_acc := pg_catalog.set_config(%L, v_acc, TRUE);', p_setting)
                                  ELSE '' END,
                          '^', '        ', 'gn') || E'\n';
$body$;

COMMENT ON FUNCTION _recon.guard_drift_indent_sql(text, text, boolean) IS
'Branch p_code of a drift guard''s generated trigger function, indented; with p_write it ends '
'by writing the accumulator to setting p_setting.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_indent_sql(text, text, boolean) FROM PUBLIC;
