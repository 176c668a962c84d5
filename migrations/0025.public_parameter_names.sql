-- Public functions take bare parameter names (issue 20): recon.register_check(name, kind,
-- options), recon.register_wallet_source(name, relation, ...), recon.set_fix_policy(check_name,
-- options), ... CREATE OR REPLACE cannot rename a parameter, so the functions whose names change
-- are dropped here; the repeatable layer creates them again with the new names (their grants
-- and comments with them). Nothing else depends on them.
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
