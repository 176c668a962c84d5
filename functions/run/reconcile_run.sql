-- recon.reconcile_run(): reconcile with the run committed first (CLI, pg_cron, nightly jobs).
CREATE OR REPLACE PROCEDURE recon.reconcile_run(
    checks text[] DEFAULT NULL, mode text DEFAULT 'full', INOUT summary jsonb DEFAULT NULL
)
LANGUAGE plpgsql
-- No SET search_path: a procedure with SET clauses may not COMMIT. It is SECURITY INVOKER and
-- names only schema-qualified functions.
AS $body$
BEGIN
    PERFORM recon.start_run(reconcile_run.checks, reconcile_run.mode);
    COMMIT;  -- the run is visible from here on, whatever happens to this session
    summary := recon.reconcile(reconcile_run.checks, reconcile_run.mode);
END;
$body$;

COMMENT ON PROCEDURE recon.reconcile_run(text[], text, jsonb) IS  -- noqa: LT01
'CALL recon.reconcile_run(checks, mode): recon.reconcile() with its run recorded and committed '
'first, so a run cut short (its backend terminated, the server stopped) is marked interrupted '
'by the next one instead of vanishing. Returns the summary. Must be CALLed outside a '
'transaction block (it commits); what wallet-recon check and recon.schedule_reconcile() use.';

REVOKE EXECUTE ON PROCEDURE recon.reconcile_run(text[], text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE recon.reconcile_run(text[], text, jsonb) TO recon_auditor,
recon_operator;
