-- _recon.minor_sql(): SQL writing an amount of major units as whole minor units.
CREATE OR REPLACE FUNCTION _recon.minor_sql(
    p_scale jsonb, p_expr text, p_scale_expr text, p_what text
)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT CASE
        WHEN p_scale IS NULL THEN p_expr
        WHEN p_scale ? 'places' THEN format('_recon.minor_units((%s)::numeric, %s, %L)', p_expr,
                                            (p_scale ->> 'places')::integer, p_what)
        WHEN p_scale ->> 'as' = 'places' THEN format(
            '_recon.minor_units((%1$s)::numeric, (%2$s)::integer, %3$L)',
            p_expr, p_scale_expr, p_what)
        ELSE format(
            '_recon.minor_units((%1$s)::numeric, CASE WHEN (%2$s)::text ~ ''^10{0,38}$'' '
            || 'THEN length((%2$s)::text) - 1 END, %3$L)',
            p_expr, p_scale_expr, p_what)
    END;
$body$;

COMMENT ON FUNCTION _recon.minor_sql(jsonb, text, text, text) IS
'SQL for p_expr (an amount in major units) as whole minor units by the scale '
'(_recon.scale_option; a per-row scale is the SQL p_scale_expr: the row''s scale column, or the '
'value written there), through _recon.minor_units (RC321 when not whole: never rounded); p_expr '
'unchanged when the scale is NULL. The inverse of _recon.major_sql.';

REVOKE EXECUTE ON FUNCTION _recon.minor_sql(jsonb, text, text, text) FROM PUBLIC;
