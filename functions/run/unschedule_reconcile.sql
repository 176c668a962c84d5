-- recon.unschedule_reconcile(): remove a scheduled reconcile from pg_cron.
CREATE OR REPLACE FUNCTION recon.unschedule_reconcile(job text DEFAULT 'wallet-recon reconcile')
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_column
DECLARE
    v_done boolean;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension AS e WHERE e.extname = 'pg_cron') THEN
        PERFORM _recon.fail(
            'RC407', format('pg_cron is not installed in database %s', current_database()),
            'Nothing was scheduled with it here.', 'Remove your crontab line instead.');
    END IF;
    EXECUTE format('SELECT %I.unschedule($1)', 'cron') INTO v_done USING unschedule_reconcile.job;
    RETURN v_done;
END;
$body$;

COMMENT ON FUNCTION recon.unschedule_reconcile(text) IS
'Removes the pg_cron job recon.schedule_reconcile() created (by job name). RC407 without '
'pg_cron.';

REVOKE EXECUTE ON FUNCTION recon.unschedule_reconcile(text) FROM PUBLIC;
