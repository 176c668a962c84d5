-- Undo 0009.
DROP TABLE _recon.reversal;
