-- Undo 0010. The functions returning recon.fix_step are repeatable objects; the migrator drops
-- the repeatable layer before any rollback, and these drops only make that explicit.
DROP FUNCTION IF EXISTS recon.fix(
    bigint, boolean, text, text, text[], text[], text, numeric, numeric, bigint[]
);
DROP FUNCTION IF EXISTS recon.reverse_fix(bigint, boolean, text, text);
DROP FUNCTION IF EXISTS _recon.fix_report(bigint);
ALTER TABLE _recon.fix_stage
DROP COLUMN currency,
DROP COLUMN ledger_change,
DROP COLUMN stored_change,
DROP COLUMN evidence;
DROP TYPE recon.fix_step;
