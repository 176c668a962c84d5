-- _recon.ledger_write_install(): the change triggers on a ledger's tables.
CREATE OR REPLACE FUNCTION _recon.ledger_write_install(p_relid oid, p_order_column text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_root oid := COALESCE(_recon.base_table(p_relid), p_relid);
    v_seq text;
    v_t record;
BEGIN
    -- recon_ledger_order only where a writer can place an id (not an identity GENERATED ALWAYS):
    -- its argument is the sequence the runs publish their bounds in, one per ledger table
    IF (SELECT a.attidentity FROM pg_attribute AS a
        WHERE a.attrelid = v_root AND a.attname = p_order_column) IS DISTINCT FROM 'a' THEN
        v_seq := COALESCE(_recon.ledger_bound_sequence(p_relid),
                          format('_recon.ledger_bound_%s', v_root));
        IF to_regclass(v_seq) IS NULL THEN
            EXECUTE format('CREATE SEQUENCE %s AS bigint MINVALUE %s NO CYCLE', v_seq,
                           -9223372036854775807);
            EXECUTE format('COMMENT ON SEQUENCE %s IS %L', v_seq, format(
                'The highest bound an incremental run of ledger table %s has taken '
                || '(_recon.tg_ledger_order, migration 0024).', v_root::regclass));
        END IF;
    END IF;
    -- A statement trigger on each table of an inheritance tree (a statement fires only the
    -- triggers of the table it names); a row trigger on a partitioned table, which PostgreSQL
    -- clones to every partition, attached now or later.
    FOR v_t IN
        SELECT t.relid, t.relkind, t.tracked, t.ordered FROM _recon.incremental_tables(p_relid) AS t
        WHERE NOT t.cloned ORDER BY t.relid
    LOOP
        IF NOT EXISTS (SELECT FROM pg_trigger AS g
                       WHERE g.tgrelid = v_t.relid AND g.tgname = 'recon_ledger_write') THEN
            EXECUTE format('CREATE TRIGGER recon_ledger_write AFTER UPDATE OR DELETE ON %s '
                           || 'FOR EACH %s EXECUTE FUNCTION _recon.tg_ledger_write()',
                           v_t.relid::regclass,
                           CASE WHEN v_t.relkind = 'p' THEN 'ROW' ELSE 'STATEMENT' END);
        END IF;
        IF v_seq IS NOT NULL AND NOT EXISTS (
            SELECT FROM pg_trigger AS g
            WHERE g.tgrelid = v_t.relid AND g.tgname = 'recon_ledger_order') THEN
            EXECUTE format('CREATE TRIGGER recon_ledger_order AFTER INSERT ON %s %s '
                           || 'EXECUTE FUNCTION _recon.tg_ledger_order(%L, %L)',
                           v_t.relid::regclass,
                           CASE WHEN v_t.relkind = 'p' THEN 'FOR EACH ROW'
                                ELSE 'REFERENCING NEW TABLE AS recon_new_rows '
                                     || 'FOR EACH STATEMENT' END,
                           p_order_column, v_seq);
        END IF;
    END LOOP;
    -- the owner of a partitioned table may create partitions (the row triggers are cloned)
    PERFORM _recon.ledger_write_grant(p_relid);
    RETURN NULL;
EXCEPTION WHEN insufficient_privilege THEN
    -- not the tables' owner: the ledger runs in full, and says why (_recon.incremental_unsupported)
    RETURN SQLERRM;
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_write_install(oid, text) IS
'Creates the triggers of migration 0024 on the tables under a ledger that lack them: '
'recon_ledger_write (AFTER UPDATE OR DELETE) and, when order_by is not an identity GENERATED '
'ALWAYS, recon_ledger_order (AFTER INSERT) with its bound sequence; statement triggers on a '
'table and each inheritance child, row triggers on a partitioned table (cloned to its '
'partitions, whose owner is granted EXECUTE on their functions: _recon.ledger_write_grant). '
'Returns NULL, or the error when the toolkit may not create triggers there (the '
'ledger then runs in full).';

REVOKE EXECUTE ON FUNCTION _recon.ledger_write_install(oid, text) FROM PUBLIC;
