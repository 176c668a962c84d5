-- Undo 0026. The functions are repeatable objects: the migrator drops the repeatable layer
-- before any rollback, and the older package creates them again with its p_ names; these
-- drops only make that explicit (the argument types did not change).
DROP FUNCTION IF EXISTS recon.reconcile(text[], text);
DROP PROCEDURE IF EXISTS recon.reconcile_run(text[], text, jsonb);
DROP FUNCTION IF EXISTS recon.enable_guard(text, text, jsonb);
DROP FUNCTION IF EXISTS recon.disable_guard(text, text);
