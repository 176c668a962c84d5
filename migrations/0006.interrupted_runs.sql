-- 0006 interrupted runs and the fix marker. A reconcile started with recon.reconcile_run()
-- (the CLI, the pg_cron job) commits its run row first, so a run cut short by a terminated
-- backend or a server stop stays visible, and the next run marks it interrupted.

ALTER TABLE _recon.run DROP CONSTRAINT run_status;
ALTER TABLE _recon.run ADD CONSTRAINT run_status
CHECK (status IN ('running', 'synced', 'discrepancy', 'interrupted'));
COMMENT ON COLUMN _recon.run.status IS
'running, synced (no findings), discrepancy, or interrupted (it never finished: its backend '
'was terminated or the server stopped; nothing of it was recorded but this row).';

-- The guards' audited path: a fix's own writes pass a blocking guard only while the fix is
-- writing. The row exists from the start to the end of the fix's apply step, inside its
-- transaction; the wallet_recon.fix_id setting alone (anyone can set it) proves nothing, nor
-- does a fix row written earlier in the same transaction.
CREATE UNLOGGED TABLE _recon.fix_active (
    txid xid8 PRIMARY KEY,
    fix_id bigint NOT NULL
);
COMMENT ON TABLE _recon.fix_active IS
'The fix (recon.fix, reverse_fix, backfill) writing right now in a transaction: inserted when '
'its apply step starts, deleted when it ends (_recon.in_audited_fix reads it). Unlogged: it '
'holds nothing past a transaction.';
COMMENT ON COLUMN _recon.fix_active.txid IS 'The transaction applying the fix.';
COMMENT ON COLUMN _recon.fix_active.fix_id IS 'The fix (_recon.fix.id) it is applying.';
