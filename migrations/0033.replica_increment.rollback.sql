-- Undo 0033: the targets keep no increment (a run read on a standby is read in full).
ALTER TABLE _recon.replica_target DROP COLUMN increment;
