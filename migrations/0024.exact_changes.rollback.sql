-- Undo 0024: the triggers recon_ledger_write on the ledgers' tables first (a partition's clone
-- goes with its parent's trigger).
DO $do$
DECLARE
    v_trg record;
BEGIN
    FOR v_trg IN
        SELECT g.tgrelid::regclass AS tbl, g.tgname FROM pg_trigger AS g
        WHERE g.tgfoid IN ('_recon.tg_ledger_write()'::regprocedure,
                           '_recon.tg_ledger_order()'::regprocedure)
          AND g.tgparentid = 0
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', v_trg.tgname, v_trg.tbl);
    END LOOP;
    -- the ledgers' published bounds
    FOR v_trg IN
        SELECT c.oid::regclass AS seq FROM pg_class AS c
        WHERE c.relnamespace = '_recon'::regnamespace AND c.relkind = 'S'
          AND c.relname LIKE 'ledger\_bound\_%'
    LOOP
        EXECUTE format('DROP SEQUENCE %s', v_trg.seq);
    END LOOP;
END;
$do$;
DROP FUNCTION _recon.tg_ledger_write();
DROP FUNCTION _recon.tg_ledger_order();
DROP TABLE _recon.ledger_write;
