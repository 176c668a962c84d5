-- _recon.ledger_write_uninstall(): take a dropped ledger's change triggers off its tables.
CREATE OR REPLACE FUNCTION _recon.ledger_write_uninstall(p_relid oid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_root oid := COALESCE(_recon.base_table(p_relid), p_relid);
    v_seq text := _recon.ledger_bound_sequence(p_relid);
    v_t record;
BEGIN
    -- they stay while another ledger source with "order_by" reads the same table
    IF EXISTS (SELECT FROM _recon.ledger_source AS l
               WHERE l.order_column IS NOT NULL
                 AND COALESCE(_recon.base_table(l.relid), l.relid) = v_root) THEN
        RETURN;
    END IF;
    FOR v_t IN
        SELECT t.relid FROM _recon.incremental_tables(p_relid) AS t WHERE NOT t.cloned
        ORDER BY t.relid
    LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS recon_ledger_write ON %s', v_t.relid::regclass);
        EXECUTE format('DROP TRIGGER IF EXISTS recon_ledger_order ON %s', v_t.relid::regclass);
        DELETE FROM _recon.ledger_write AS w WHERE w.relid = v_t.relid;
    END LOOP;
    IF v_seq IS NOT NULL THEN
        EXECUTE format('DROP SEQUENCE IF EXISTS %s', v_seq);
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_write_uninstall(oid) IS
'Drops the triggers recon_ledger_write and recon_ledger_order (and the bound sequence) that '
'_recon.ledger_write_install put on a ledger''s tables, once no ledger source with "order_by" '
'reads them (recon.drop_source).';

REVOKE EXECUTE ON FUNCTION _recon.ledger_write_uninstall(oid) FROM PUBLIC;
