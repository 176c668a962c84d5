-- Undo 0005. An enabled guard's triggers on your tables call toolkit functions, so the
-- repeatable layer cannot be dropped (nor this rolled back) while one is enabled: the
-- migrator stops with 2BP01 naming the trigger. recon.disable_guard() first.
DROP TABLE _recon.ledger_escape;
DROP TABLE _recon.alert;
DROP TABLE _recon.guard_pending;
DROP TABLE _recon.guard;
