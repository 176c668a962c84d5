-- _recon.qualify_tables(): a check's table-valued options, resolved and schema-qualified.
CREATE OR REPLACE FUNCTION _recon.qualify_tables(p_options jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
AS $body$
DECLARE
    v_result jsonb := p_options;
    v_path text[];
BEGIN
    IF pg_catalog.jsonb_typeof(p_options) IS DISTINCT FROM 'object' THEN
        RETURN p_options;  -- _recon.check_options reports it
    END IF;
    FOREACH v_path SLICE 1 IN ARRAY ARRAY[
        ARRAY['table', ''], ARRAY['owner_table', ''], ARRAY['status_table', ''],
        ARRAY['stored', 'table'], ARRAY['expected', 'table']
    ] LOOP
        v_path := pg_catalog.array_remove(v_path, '');
        IF pg_catalog.jsonb_typeof(p_options #> v_path) = 'string' THEN
            v_result := pg_catalog.jsonb_set(v_result, v_path, pg_catalog.to_jsonb((
                SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
                FROM pg_catalog.pg_class AS c
                JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                WHERE c.oid = _recon.resolve_table(p_options #>> v_path)
            )));
        END IF;
    END LOOP;
    RETURN v_result;
END;
$body$;

COMMENT ON FUNCTION _recon.qualify_tables(jsonb) IS
'Replaces the table names in a check''s options ("table", "owner_table", "status_table", '
'"stored.table", "expected.table") with schema-qualified names resolved on the caller''s '
'search_path (RC101 for an unknown table). Pins no path, so that the caller''s path applies; '
'every name in it is qualified.';

REVOKE EXECUTE ON FUNCTION _recon.qualify_tables(jsonb) FROM PUBLIC;
