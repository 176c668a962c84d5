-- Undo 0016.
ALTER TABLE _recon.watermark
DROP COLUMN parents_storage;
