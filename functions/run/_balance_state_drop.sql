-- _recon.balance_state_drop(): a balance check's per-wallet state tables dropped.
CREATE OR REPLACE FUNCTION _recon.balance_state_drop(p_check text, p_keep regclass DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_table regclass;
BEGIN
    -- every table of the check (a crash empties the mark, not the catalog: one left then goes
    -- here too), by its name: bs_<md5 of the check>_<run>
    FOR v_table IN
        SELECT c.oid FROM pg_class AS c
        WHERE c.relnamespace = '_recon'::regnamespace AND c.relkind = 'r'
          AND c.relname LIKE format('bs\_%s\_%%', md5(p_check))
          AND c.oid IS DISTINCT FROM p_keep::oid
    LOOP
        EXECUTE format('DROP TABLE %s', v_table);
    END LOOP;
    IF p_keep IS NULL THEN
        DELETE FROM _recon.balance_state_mark AS g WHERE g.check_name = p_check;
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.balance_state_drop(text, regclass) IS
'Drops the per-wallet state tables of balance check p_check but p_keep and, without p_keep, its '
'mark: the check has no state then (a dropped check, a ledger that cannot run incrementally).';

REVOKE EXECUTE ON FUNCTION _recon.balance_state_drop(text, regclass) FROM PUBLIC;
