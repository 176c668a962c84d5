-- _recon.ledger_write_install(): the change triggers on a ledger's tables.
CREATE OR REPLACE FUNCTION _recon.ledger_write_install(p_relid oid)
RETURNS text
LANGUAGE plpgsql
VOLATILE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_t record;
BEGIN
    -- A statement trigger on each table of an inheritance tree (a statement fires only the
    -- triggers of the table it names); a row trigger on a partitioned table, which PostgreSQL
    -- clones to every partition, attached now or later.
    FOR v_t IN
        SELECT t.relid, t.relkind FROM _recon.incremental_tables(p_relid) AS t
        WHERE NOT t.cloned AND NOT EXISTS (
            SELECT FROM pg_trigger AS g
            WHERE g.tgrelid = t.relid AND g.tgname = 'recon_ledger_write')
        ORDER BY t.relid
    LOOP
        EXECUTE format('CREATE TRIGGER recon_ledger_write AFTER UPDATE OR DELETE ON %s '
                       || 'FOR EACH %s EXECUTE FUNCTION _recon.tg_ledger_write()',
                       v_t.relid::regclass,
                       CASE WHEN v_t.relkind = 'p' THEN 'ROW' ELSE 'STATEMENT' END);
    END LOOP;
    RETURN NULL;
EXCEPTION WHEN insufficient_privilege THEN
    -- not the tables' owner: the ledger runs in full, and says why (_recon.incremental_unsupported)
    RETURN SQLERRM;
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_write_install(oid) IS
'Creates the trigger recon_ledger_write (AFTER UPDATE OR DELETE, _recon.tg_ledger_write) on '
'the tables under a ledger that lack it: statement triggers on a table and each inheritance '
'child, a row trigger on a partitioned table (cloned to its partitions). Returns NULL, or the '
'error when the toolkit may not create triggers there (the ledger then runs in full).';

REVOKE EXECUTE ON FUNCTION _recon.ledger_write_install(oid) FROM PUBLIC;
