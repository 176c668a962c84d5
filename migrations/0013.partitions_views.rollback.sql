-- Undo 0013.
ALTER TABLE _recon.watermark
DROP COLUMN ledger_storage,
DROP COLUMN wallet_storage;
