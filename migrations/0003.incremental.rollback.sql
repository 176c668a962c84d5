-- Undo 0003.
DROP TABLE _recon.balance_state;
DROP TABLE _recon.watermark;
