-- _recon.run_alert(): a HIGH or CRITICAL run is an alert: a row, and a NOTIFY.
CREATE OR REPLACE FUNCTION _recon.run_alert(p_run bigint, p_summary jsonb)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_alert bigint;
BEGIN
    IF p_summary ->> 'max_severity' IN ('HIGH', 'CRITICAL') THEN
        INSERT INTO _recon.alert (kind, severity, run_id, message, details)
        VALUES ('run', p_summary ->> 'max_severity', p_run,
                format('run %s: %s findings on %s wallets, max severity %s', p_run,
                       p_summary ->> 'findings', p_summary ->> 'wallets',
                       p_summary ->> 'max_severity'),
                p_summary - 'runs')
        RETURNING id INTO v_alert;
        -- sent when this commits
        PERFORM pg_notify('wallet_recon_alert', jsonb_build_object(
            'alert_id', v_alert, 'kind', 'run', 'severity', p_summary ->> 'max_severity',
            'run_id', p_run, 'findings', p_summary -> 'findings',
            'message', format('run %s: max severity %s', p_run,
                              p_summary ->> 'max_severity'))::text);
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.run_alert(bigint, jsonb) IS
'Phase 10 of recon.reconcile: when run p_run''s summary says HIGH or CRITICAL, records an alert '
'(kind run; recon.open_alerts) and sends NOTIFY wallet_recon_alert when the transaction '
'commits.';

REVOKE EXECUTE ON FUNCTION _recon.run_alert(bigint, jsonb) FROM PUBLIC;
