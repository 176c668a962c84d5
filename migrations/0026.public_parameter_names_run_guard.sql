-- The last public functions with p_ parameters take bare names (issue 20, after 0025):
-- recon.reconcile(checks, mode), CALL recon.reconcile_run(checks, mode, summary),
-- recon.enable_guard(kind, target, options), recon.disable_guard(kind, target). CREATE OR
-- REPLACE cannot rename a parameter, so they are dropped here; the repeatable layer creates them
-- again with the new names (their grants and comments with them). Nothing else depends on them
-- (a pg_cron job's command is text: CALL recon.reconcile_run(...) resolves at each run).
DROP FUNCTION IF EXISTS recon.reconcile(text[], text);
DROP PROCEDURE IF EXISTS recon.reconcile_run(text[], text, jsonb);
DROP FUNCTION IF EXISTS recon.enable_guard(text, text, jsonb);
DROP FUNCTION IF EXISTS recon.disable_guard(text, text);
