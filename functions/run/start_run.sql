-- recon.start_run(): record a run before it starts, so that an interrupted one stays visible.
CREATE OR REPLACE FUNCTION recon.start_run(
    checks text[] DEFAULT NULL, mode text DEFAULT 'full'
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_column
DECLARE
    v_run bigint;
BEGIN
    PERFORM _recon.require_writable('recon.start_run()',
                                    'A run records itself, its findings and alerts '
                                    || '(recon.runs, recon.run_findings).');
    INSERT INTO _recon.run (mode, checks)
    VALUES (start_run.mode, _recon.run_checks(start_run.checks, start_run.mode))
    RETURNING id INTO v_run;
    -- Held by this session until its recon.reconcile() finishes (or the session ends: then the
    -- next reconcile finds the lock free and marks the run interrupted).
    PERFORM pg_advisory_lock(_recon.run_lock_key(v_run));
    PERFORM set_config('wallet_recon.run_id', v_run::text, FALSE);
    RETURN v_run;
END;
$body$;

COMMENT ON FUNCTION recon.start_run(text[], text) IS
'Records a run (status running) for the next recon.reconcile() of this session with the same '
'checks and mode, which fills it in. Commit between the two (recon.reconcile_run() does): a run '
'whose session ends before it finishes is then marked interrupted by the next reconcile. '
'Errors: RC201, RC202.';

REVOKE EXECUTE ON FUNCTION recon.start_run(text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.start_run(text[], text) TO recon_auditor, recon_operator;
