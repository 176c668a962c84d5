-- _recon.run_claim(): the run a reconcile records: the one recon.start_run() started, or new.
CREATE OR REPLACE FUNCTION _recon.run_claim(
    p_names text[], p_mode text, OUT o_run bigint, OUT o_replica jsonb, OUT o_started boolean
)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_started_run bigint;
BEGIN
    -- One reconcile at a time per database: findings are merged into one set of open issues.
    PERFORM pg_advisory_xact_lock(hashtextextended('wallet-recon reconcile', 0));
    -- The run recon.start_run() recorded for this session (same checks and mode), or a new one.
    v_started_run := NULLIF(current_setting('wallet_recon.run_id', TRUE), '')::bigint;
    PERFORM set_config('wallet_recon.run_id', '', FALSE);
    UPDATE _recon.run AS r SET started_at = clock_timestamp()
    WHERE r.id = v_started_run AND r.status = 'running' AND r.mode = p_mode
      AND r.checks = p_names AND _recon.run_lock_owner(r.id) = pg_backend_pid()
    RETURNING r.id, r.summary -> 'replica' INTO o_run, o_replica;
    o_started := o_run IS NOT NULL;
    IF o_run IS NULL THEN
        INSERT INTO _recon.run (mode, checks) VALUES (p_mode, p_names) RETURNING id INTO o_run;
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.run_claim(text[], text) IS
'Phase 1 of recon.reconcile: takes the one-reconcile-per-database advisory lock, then claims '
'the run recon.start_run() recorded for this session with the same checks and mode (o_started, '
'o_replica: the standby''s read work recon.record_replica_run staged, if any), or records a '
'new run. Returns its id (o_run).';

REVOKE EXECUTE ON FUNCTION _recon.run_claim(text[], text) FROM PUBLIC;
