-- Undo 0015.
ALTER TABLE _recon.watermark
DROP COLUMN parents_storage;
COMMENT ON COLUMN _recon.watermark.snapshot_xmin IS
'Oldest transaction running when the run read the wallets: a wallet row written by this '
'transaction or a later one may have changed since.';
