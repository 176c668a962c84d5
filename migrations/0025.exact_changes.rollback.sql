-- Undo 0025: the triggers recon_ledger_write on the ledgers' tables first (a partition's clone
-- goes with its parent's trigger).
DO $do$
DECLARE
    v_trg record;
BEGIN
    FOR v_trg IN
        SELECT g.tgrelid::regclass AS tbl FROM pg_trigger AS g
        WHERE g.tgfoid = '_recon.tg_ledger_write()'::regprocedure AND g.tgparentid = 0
    LOOP
        EXECUTE format('DROP TRIGGER recon_ledger_write ON %s', v_trg.tbl);
    END LOOP;
END;
$do$;
DROP FUNCTION _recon.tg_ledger_write();
DROP TABLE _recon.ledger_write;
