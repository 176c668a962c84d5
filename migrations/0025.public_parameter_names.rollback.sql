-- Undo 0025. The functions are repeatable objects: the migrator drops the repeatable layer
-- before any rollback, and the older package creates them again with its p_ names; these
-- drops only make that explicit (the argument types did not change).
DROP FUNCTION IF EXISTS recon.acknowledge_alert(bigint[], text);
DROP FUNCTION IF EXISTS recon.allow_ledger_change(text, text, text);
DROP FUNCTION IF EXISTS recon.describe_check(text);
DROP FUNCTION IF EXISTS recon.drop_check(text);
DROP FUNCTION IF EXISTS recon.drop_source(text);
DROP FUNCTION IF EXISTS recon.register_check(text, text, jsonb);
DROP FUNCTION IF EXISTS recon.register_ledger_source(text, text, text, text, text, jsonb);
DROP FUNCTION IF EXISTS recon.register_wallet_source(text, text, text, text[], jsonb);
DROP FUNCTION IF EXISTS recon.register_writer(text, jsonb);
DROP FUNCTION IF EXISTS recon.schedule_reconcile(text, text, text);
DROP FUNCTION IF EXISTS recon.set_check_enabled(text, boolean);
DROP FUNCTION IF EXISTS recon.set_fix_policy(text, jsonb);
DROP FUNCTION IF EXISTS recon.start_run(text[], text);
DROP FUNCTION IF EXISTS recon.unschedule_reconcile(text);
