-- Rollback of 0035: EXECUTE on the row trigger functions of incremental mode is the toolkit
-- owner's alone again (as 0024 made them), whoever was granted it since.
DO $do$
DECLARE
    v_grant record;
BEGIN
    FOR v_grant IN
        SELECT DISTINCT p.oid::regprocedure AS fn, a.grantee::regrole AS grantee
        FROM pg_catalog.pg_proc AS p
        CROSS JOIN LATERAL aclexplode(p.proacl) AS a
        WHERE p.oid IN ('_recon.tg_ledger_write()'::regprocedure,
                        '_recon.tg_ledger_order()'::regprocedure)
          AND a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner AND a.grantee <> 0
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM %s', v_grant.fn, v_grant.grantee);
    END LOOP;
END;
$do$;
