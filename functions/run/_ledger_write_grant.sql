-- _recon.ledger_write_grant(): the owners of partitioned ledger tables may execute the row
-- trigger functions of incremental mode.
CREATE OR REPLACE FUNCTION _recon.ledger_write_grant(p_relid oid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_grant record;
BEGIN
    -- PostgreSQL clones a partitioned table's row triggers (recon_ledger_write,
    -- recon_ledger_order) to each partition created or attached later, checking EXECUTE on
    -- the trigger function as the role running the DDL ("permission denied for function"
    -- otherwise): the owner of each partitioned table under the ledger gets it, as a guard's
    -- owner does (_recon.guard_grant_row_functions). A trigger function cannot be called by
    -- hand, and naming one in a trigger of its own needs USAGE on _recon; fired elsewhere,
    -- either one can only record a write (a full next run), never hide one.
    FOR v_grant IN
        SELECT DISTINCT tg.tgfoid::regprocedure AS fn, c.relowner::regrole AS owner
        FROM _recon.incremental_tables(p_relid) AS t
        JOIN pg_catalog.pg_class AS c ON c.oid = t.relid
        JOIN pg_catalog.pg_trigger AS tg
            ON tg.tgrelid = c.oid AND tg.tgname IN ('recon_ledger_write', 'recon_ledger_order')
        JOIN pg_catalog.pg_proc AS p ON p.oid = tg.tgfoid
        WHERE c.relkind = 'p' AND c.relowner <> p.proowner
          AND NOT has_function_privilege(c.relowner, tg.tgfoid, 'EXECUTE')
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', v_grant.fn, v_grant.owner);
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_write_grant(oid) IS
'Grants EXECUTE on _recon.tg_ledger_write() and _recon.tg_ledger_order() to the owner of each '
'partitioned table under ledger table p_relid that carries their row triggers, so that it can '
'create or attach partitions (PostgreSQL clones row triggers as the role running the DDL). '
'Called by _recon.ledger_write_install; migration 0035 did it for the ledgers registered '
'before.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_write_grant(oid) FROM PUBLIC;
