-- recon.schedule_reconcile(): a nightly reconcile with pg_cron, where it is available.
CREATE OR REPLACE FUNCTION recon.schedule_reconcile(
    schedule text DEFAULT '0 3 * * *',
    mode text DEFAULT 'incremental',
    job text DEFAULT 'wallet-recon reconcile'
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_column
DECLARE
    v_job bigint;
BEGIN
    IF schedule_reconcile.mode IS NULL OR schedule_reconcile.mode NOT IN ('full', 'incremental') THEN
        PERFORM _recon.fail('RC201', format('unknown reconcile mode %L', schedule_reconcile.mode),
                            'Modes: full, incremental.', 'Nightly runs are usually incremental.');
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension AS e WHERE e.extname = 'pg_cron') THEN
        PERFORM _recon.fail(
            'RC407', format('pg_cron is not installed in database %s', current_database()),
            'recon.schedule_reconcile() schedules with pg_cron.',
            format('Schedule it outside instead, e.g. a crontab line: %s wallet-recon check '
                   || '--database "$DATABASE_URL"%s. Or install pg_cron '
                   || '(shared_preload_libraries = ''pg_cron'', cron.database_name = %L) and '
                   || 'CREATE EXTENSION pg_cron.', schedule_reconcile.schedule,
                   CASE WHEN schedule_reconcile.mode = 'incremental' THEN ' --incremental' ELSE '' END,
                   current_database()));
    END IF;
    -- the same job name again replaces its schedule: scheduling twice is harmless
    EXECUTE format('SELECT %I.schedule($1, $2, $3)', 'cron')  -- pg_cron's own schema
    INTO v_job USING schedule_reconcile.job, schedule_reconcile.schedule, format('CALL recon.reconcile_run(NULL, %L)', schedule_reconcile.mode);
    RETURN v_job;
END;
$body$;

COMMENT ON FUNCTION recon.schedule_reconcile(text, text, text) IS
'Schedules CALL recon.reconcile_run(NULL, mode) with pg_cron (default: incremental, nightly '
'at 03:00) under a job name (scheduling it again replaces it); returns the pg_cron job id. '
'RC407, naming the alternative (cron calling the CLI), where pg_cron is not installed; RC201 bad '
'mode. Runs as the caller: the job runs as the caller too.';

REVOKE EXECUTE ON FUNCTION recon.schedule_reconcile(text, text, text) FROM PUBLIC;
