-- Undo 0028 (a rollback refuses while a guard is enabled: no guard reads the table then).
DROP TABLE IF EXISTS _recon.guard_window;
