-- Undo 0030 (a rollback refuses while a guard is enabled: no guard writes the table then).
DROP TRIGGER IF EXISTS guard_tick_spill ON _recon.guard_spill;
ALTER TABLE _recon.guard_spill DROP COLUMN IF EXISTS writes;
