-- _recon.compile_custom(): the user's own query returning the common row shape.
CREATE OR REPLACE FUNCTION _recon.compile_custom(p_name text, p_options jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_query text := btrim(p_options ->> 'query');
BEGIN
    IF v_query !~* '^(select|with)\s' OR position(';' IN v_query) > 0 THEN
        PERFORM _recon.fail(
            'RC110', 'a custom check is one SELECT (or WITH ... SELECT) without ";"',
            'The query becomes the body of a view; anything else is refused.',
            'Return columns wallet_key, stored, expected, difference and details (jsonb; put '
            || 'an "item" key in it when a wallet can have several findings).'
        );
    END IF;
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       q.wallet_key::text AS wallet_key,
       q.stored::numeric AS stored,
       q.expected::numeric AS expected,
       q.difference::numeric AS difference,
       COALESCE(q.details::jsonb, '{}') AS details
FROM (%2$s
) AS q$sql$,
        p_name, v_query
    );
END;
$body$;

COMMENT ON FUNCTION _recon.compile_custom(text, jsonb) IS
'Compiles a custom check around the user''s query, which must be a single SELECT returning '
'wallet_key, stored, expected, difference and details (RC110 otherwise).';

REVOKE EXECUTE ON FUNCTION _recon.compile_custom(text, jsonb) FROM PUBLIC;
