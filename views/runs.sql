-- recon.runs: the history of recon.reconcile() runs.
-- DROP + CREATE, not CREATE OR REPLACE: a changed file may rename or reorder columns. A view
-- of yours on this one makes the DROP (and the upgrade) fail, and nothing changes.
DROP VIEW IF EXISTS recon.runs;
CREATE VIEW recon.runs AS
SELECT
    r.id,
    r.started_at,
    r.finished_at,
    r.mode,
    r.status,
    r.checks,
    r.started_by,
    r.summary,
    (r.summary ->> 'findings')::integer AS findings,
    (r.summary ->> 'new')::integer AS new_findings,
    (r.summary ->> 'resolved')::integer AS resolved_findings,
    r.summary ->> 'max_severity' AS max_severity,
    _recon.run_amounts(r.id) -> 'by_currency' AS by_currency
FROM _recon.run AS r
ORDER BY r.id DESC;

COMMENT ON VIEW recon.runs IS
'Reconcile runs, newest first: status (synced, discrepancy; running, or interrupted when it '
'never finished), findings, new and resolved, the '
'highest severity, the full JSON summary, and by_currency: the amounts of what the run saw per '
'currency, never added across currencies, each sum of money once (_recon.run_amounts).';

REVOKE ALL ON recon.runs FROM PUBLIC;
GRANT SELECT ON recon.runs TO recon_auditor, recon_operator;
