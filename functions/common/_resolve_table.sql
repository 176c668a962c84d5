-- _recon.resolve_table(): a user's table name to its oid, validated against the catalog (RC101).
CREATE OR REPLACE FUNCTION _recon.resolve_table(p_table text)
RETURNS oid
LANGUAGE plpgsql
STABLE
AS $body$
DECLARE
    v_relid oid;
BEGIN
    BEGIN
        v_relid := pg_catalog.to_regclass(p_table);
    EXCEPTION WHEN OTHERS THEN  -- a malformed name (too many dots, bad quoting): not a table
        v_relid := NULL;
    END;
    IF v_relid IS NULL
        OR NOT EXISTS (
            SELECT FROM pg_catalog.pg_class AS c
            WHERE c.oid = v_relid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        ) THEN
        PERFORM _recon.fail(
            'RC101', pg_catalog.format('unknown table %L', p_table),
            'No table, view or materialized view of that name is visible on the search_path.',
            'Give the name as psql shows it in \dt, schema-qualified if need be '
            || '(e.g. public.wallet_account); quote mixed-case names ("Wallets").'
        );
    END IF;
    -- a temporary table (or a view over one) goes with the session that made it: a source on
    -- it would leave a dangling oid in the registry, and every other session cannot read it
    IF (SELECT c.relpersistence FROM pg_catalog.pg_class AS c WHERE c.oid = v_relid) = 't' THEN
        PERFORM _recon.fail(
            'RC101', pg_catalog.format('table %L is temporary', p_table),
            'A temporary table or view lives only in the session that made it; the checks run '
            || 'in other sessions (cron, the CLI) and after it ends.',
            'Register a permanent table or view.'
        );
    END IF;
    RETURN v_relid;
END;
$body$;

COMMENT ON FUNCTION _recon.resolve_table(text) IS
'Resolves a table name to its oid on the caller''s search_path, as psql would read it (so it '
'pins no search_path itself; every name in it is qualified); RC101 when there is no such '
'table, or it is temporary.';

REVOKE EXECUTE ON FUNCTION _recon.resolve_table(text) FROM PUBLIC;
