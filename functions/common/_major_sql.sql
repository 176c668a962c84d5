-- _recon.major_sql(): SQL reading an amount of minor units in major units, exactly.
CREATE OR REPLACE FUNCTION _recon.major_sql(p_scale jsonb, p_expr text, p_alias text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- A multiplication by an exact power of ten (0.01 is exactly 1e-2 in numeric): a division
    -- would round an integer of more than 16 digits. A row whose scale is NULL, negative, above
    -- 38 or (as a multiplier) not a power of ten reads NULL: the checks report it as an
    -- invalid amount (or balance), never as a guess.
    SELECT CASE
        WHEN p_scale IS NULL THEN p_expr
        WHEN p_scale ? 'places' AND (p_scale ->> 'places')::integer = 0
            THEN format('(%s)::numeric', p_expr)
        WHEN p_scale ? 'places'
            THEN format('((%s)::numeric * %s)', p_expr,
                        ('1e-' || (p_scale ->> 'places'))::numeric::text)
        WHEN p_scale ->> 'as' = 'places' THEN format(
            '((%1$s)::numeric * CASE WHEN %2$I.%3$I BETWEEN 0 AND 38 '
            || 'THEN (''1e-'' || %2$I.%3$I)::numeric END)',
            p_expr, p_alias, p_scale ->> 'column')
        ELSE format(
            '((%1$s)::numeric * CASE WHEN (%2$I.%3$I)::text ~ ''^10{0,38}$'' '
            || 'THEN (''1e-'' || (length((%2$I.%3$I)::text) - 1))::numeric END)',
            p_expr, p_alias, p_scale ->> 'column')
    END;
$body$;

COMMENT ON FUNCTION _recon.major_sql(jsonb, text, text) IS
'SQL for p_expr (an amount or balance of minor units) in major units as exact numeric, by the '
'source''s scale (_recon.scale_option; a per-row scale read from column p_alias.<column>); '
'p_expr itself, unchanged, when the scale is NULL (major units). A row whose per-row scale is '
'unusable (NULL, out of 0..38, a multiplier not a power of ten) reads NULL.';

REVOKE EXECUTE ON FUNCTION _recon.major_sql(jsonb, text, text) FROM PUBLIC;
