-- 0035 the owner of a partitioned ledger table that incremental mode watches may create and
-- attach partitions: PostgreSQL clones the row triggers recon_ledger_write and
-- recon_ledger_order (migration 0024) to each new partition as the role running the DDL, which
-- needs EXECUTE on their functions ("permission denied for function" before). The ledgers
-- registered from now on get it from _recon.ledger_write_install (_recon.ledger_write_grant);
-- those registered before get it here.
DO $do$
DECLARE
    v_grant record;
BEGIN
    FOR v_grant IN
        SELECT DISTINCT tg.tgfoid::regprocedure AS fn, c.relowner::regrole AS owner
        FROM pg_catalog.pg_trigger AS tg
        JOIN pg_catalog.pg_class AS c ON c.oid = tg.tgrelid
        JOIN pg_catalog.pg_proc AS p ON p.oid = tg.tgfoid
        WHERE tg.tgname IN ('recon_ledger_write', 'recon_ledger_order')
          AND tg.tgfoid IN ('_recon.tg_ledger_write()'::regprocedure,
                            '_recon.tg_ledger_order()'::regprocedure)
          AND c.relkind = 'p' AND c.relowner <> p.proowner
          AND NOT has_function_privilege(c.relowner, tg.tgfoid, 'EXECUTE')
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', v_grant.fn, v_grant.owner);
    END LOOP;
END;
$do$;
