-- recon.open_alerts: alerts nobody has acknowledged yet, newest first.
-- DROP + CREATE, not CREATE OR REPLACE: a changed file may rename or reorder columns. A view
-- of yours on this one makes the DROP (and the upgrade) fail, and nothing changes.
DROP VIEW IF EXISTS recon.open_alerts;
CREATE VIEW recon.open_alerts AS
SELECT
    a.id,
    a.raised_at,
    a.kind,
    a.severity,
    a.source,
    a.item,
    a.message,
    a.run_id,
    a.guard_id,
    a.raised_by,
    a.details
FROM _recon.alert AS a
WHERE a.acknowledged_at IS NULL
ORDER BY a.id DESC;
COMMENT ON VIEW recon.open_alerts IS
'Unacknowledged alerts, newest first: guards in warn mode that saw a bad write, reconcile runs '
'with HIGH or CRITICAL findings. The same are sent with pg_notify on channel '
'wallet_recon_alert. recon.acknowledge_alert() closes them; _recon.alert keeps them all.';
REVOKE ALL ON recon.open_alerts FROM PUBLIC;
GRANT SELECT ON recon.open_alerts TO recon_auditor, recon_operator;
