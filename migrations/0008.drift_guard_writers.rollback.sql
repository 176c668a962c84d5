-- Undo 0008. A drift guard's triggers on your tables call toolkit functions, so the
-- repeatable layer cannot be dropped (nor this rolled back) while one is enabled: the
-- migrator stops with 2BP01 naming the trigger. recon.disable_guard() first.
DROP TABLE _recon.guard_tick;
DROP SCHEMA _recon_guard;
