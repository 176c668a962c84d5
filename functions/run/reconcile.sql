-- recon.reconcile(): run checks, classify, explain, and keep findings as open issues.
CREATE OR REPLACE FUNCTION recon.reconcile(
    checks text[] DEFAULT NULL, mode text DEFAULT 'full'
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- JIT compiling a check's many expressions costs more than it saves (docs/PERFORMANCE.md).
SET jit = off
AS $body$
DECLARE
    v_started timestamptz := clock_timestamp();
    v_names text[] := _recon.run_checks(reconcile.checks, reconcile.mode);
    v_run bigint;
    -- a run whose read work a standby did (recon.record_replica_run): staged already
    v_replica jsonb;
    v_started_run boolean;
    v_modes jsonb;
    v_acknowledged bigint[];
    v_new bigint;
    v_resolved bigint;
    v_summary jsonb;
BEGIN
    PERFORM _recon.require_writable('recon.reconcile()',
                                    'A run records itself, its findings and alerts '
                                    || '(recon.runs, recon.run_findings).');
    SELECT c.o_run, c.o_replica, c.o_started INTO v_run, v_replica, v_started_run
    FROM _recon.run_claim(v_names, reconcile.mode) AS c;
    PERFORM _recon.run_sweep_stale(v_run);
    -- 1. Every check's findings, staged (a replica run's are already).
    v_modes := CASE WHEN v_replica IS NULL
                    THEN _recon.run_stage_checks(v_run, v_names, reconcile.mode)
                    ELSE COALESCE(v_replica -> 'runs', '{}'::jsonb) END;
    -- The stage's statistics, now that it holds this run's findings: the joins below over
    -- thousands of findings are planned as hash joins, not nested loops (one run at a time
    -- holds the advisory lock, so nothing else analyzes it meanwhile).
    PERFORM _recon.analyze_run_stage();  -- never waiting behind autovacuum
    v_acknowledged := _recon.run_acknowledged(v_run);
    -- 2. Causes; 3. severity; 4. open issues.
    PERFORM _recon.run_causes(v_run);
    PERFORM _recon.run_missing_wallets(v_run);
    PERFORM _recon.run_severity(v_run);
    SELECT m.o_new, m.o_resolved INTO v_new, v_resolved
    FROM _recon.run_merge(v_run, v_names, v_acknowledged) AS m;
    -- 5. The summary, recorded with the run.
    v_summary := _recon.run_summary(v_run, reconcile.mode, v_names, v_modes, v_new, v_resolved,
                                    cardinality(v_acknowledged), v_started, v_replica);
    UPDATE _recon.run AS r
    SET finished_at = clock_timestamp(), status = v_summary ->> 'status', summary = v_summary
    WHERE r.id = v_run;
    IF v_started_run THEN
        PERFORM pg_advisory_unlock(_recon.run_lock_key(v_run));  -- recon.start_run()'s hold
    END IF;
    -- 6. A HIGH or CRITICAL run is an alert.
    PERFORM _recon.run_alert(v_run, v_summary);
    DELETE FROM _recon.run_stage AS s WHERE s.run_id = v_run;
    RETURN v_summary;
END;
$body$;

COMMENT ON FUNCTION recon.reconcile(text[], text) IS
'Runs every enabled check (or the named ones), records the run and its findings, classifies '
'severity (LOW/MEDIUM by amount for one wallet, HIGH for several wallets, CRITICAL for a '
'systematic pattern), attaches the suspected cause it can show, tracks findings across runs as '
'open issues, and returns a JSON summary: status synced or discrepancy, counts by severity and '
'by check, amounts per currency only (by_currency; never added across currencies; a finding '
'explained by another, the same money, counted once). The one-hour pattern rule buckets posting '
'times by UTC hour, whatever the session''s TimeZone. Errors: RC201 unknown mode, RC202 '
'unknown check. SECURITY DEFINER: recon_auditor may run it. Runs one at a time per database. '
'A HIGH or CRITICAL run raises an alert (recon.open_alerts, NOTIFY wallet_recon_alert). With '
'the setting wallet_recon.progress = on it raises a NOTICE per check (wallet-recon progress: '
'n/total check: findings in ms).';

REVOKE EXECUTE ON FUNCTION recon.reconcile(text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.reconcile(text[], text) TO recon_auditor, recon_operator;
