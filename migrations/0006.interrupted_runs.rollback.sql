-- Undo 0006. Interrupted runs recorded nothing but their row: they go with the status.
DROP TABLE _recon.fix_active;
DELETE FROM _recon.run
WHERE status = 'interrupted';
ALTER TABLE _recon.run DROP CONSTRAINT run_status;
ALTER TABLE _recon.run ADD CONSTRAINT run_status
CHECK (status IN ('running', 'synced', 'discrepancy'));
COMMENT ON COLUMN _recon.run.status IS 'running, synced (no findings) or discrepancy.';
