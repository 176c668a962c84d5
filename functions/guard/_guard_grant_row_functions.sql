-- _recon.guard_grant_row_functions(): the owners of partitioned tables under a guard may execute
-- its row trigger functions.
CREATE OR REPLACE FUNCTION _recon.guard_grant_row_functions(p_triggers jsonb)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_grant record;
BEGIN
    -- PostgreSQL clones a partitioned table's row triggers to each partition created or
    -- attached later, checking EXECUTE on the trigger function as the role running the DDL
    -- ("permission denied for function" with an empty name otherwise). That role owns the
    -- partitioned table: it gets EXECUTE on the guard's row trigger functions there. They
    -- cannot be called directly (trigger functions), and a sealed one refuses a table outside
    -- the guard's tables (_recon.guard_row_table).
    FOR v_grant IN
        SELECT DISTINCT tg.tgfoid::regprocedure AS fn, c.relowner::regrole AS owner
        FROM jsonb_array_elements(p_triggers) AS t
        JOIN pg_catalog.pg_class AS c ON c.oid = to_regclass(t.value ->> 'table')
        JOIN pg_catalog.pg_trigger AS tg
            ON tg.tgrelid = c.oid AND tg.tgname = t.value ->> 'trigger'
        JOIN pg_catalog.pg_proc AS p ON p.oid = tg.tgfoid
        WHERE c.relkind = 'p' AND tg.tgtype::integer & 1 = 1  -- FOR EACH ROW
          AND c.relowner <> p.proowner
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', v_grant.fn, v_grant.owner);
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_grant_row_functions(jsonb) IS
'Grants EXECUTE on the row trigger functions of a guard''s triggers p_triggers that sit on a '
'partitioned table to that table''s owner, so that it can create or attach partitions '
'(PostgreSQL clones row triggers as the role running the DDL). Trigger functions cannot be '
'called directly; a sealed one refuses a table outside its guard''s tables '
'(_recon.guard_row_table).';

REVOKE EXECUTE ON FUNCTION _recon.guard_grant_row_functions(jsonb) FROM PUBLIC;
