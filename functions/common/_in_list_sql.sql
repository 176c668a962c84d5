-- _recon.in_list_sql(): "alias.column::text IN ('a', 'b')" from a JSON array of values.
CREATE OR REPLACE FUNCTION _recon.in_list_sql(
    p_relid oid, p_alias text, p_column text, p_values jsonb, p_role text
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_list text;
BEGIN
    PERFORM _recon.resolve_column(p_relid, p_column, p_role);
    IF p_values IS NULL OR jsonb_typeof(p_values) <> 'array' OR jsonb_array_length(p_values) = 0
        OR EXISTS (SELECT FROM jsonb_array_elements(p_values) AS v
                   WHERE jsonb_typeof(v) NOT IN ('string', 'number')) THEN
        PERFORM _recon.fail(
            'RC106', format('values for %s must be a non-empty JSON array', p_role),
            format('Got %s.', COALESCE(p_values::text, 'NULL')),
            'E.g. ["live", "draft"].'
        );
    END IF;
    SELECT string_agg(quote_literal(v), ', ') INTO v_list FROM jsonb_array_elements_text(p_values) AS v;
    RETURN format('%I.%I::text IN (%s)', p_alias, p_column, v_list);
END;
$body$;

COMMENT ON FUNCTION _recon.in_list_sql(oid, text, text, jsonb, text) IS
'An SQL condition "column IN (values)" over a checked column, values quoted as literals; '
'RC102 for an unknown column, RC106 for a bad list.';

REVOKE EXECUTE ON FUNCTION _recon.in_list_sql(oid, text, text, jsonb, text) FROM PUBLIC;
