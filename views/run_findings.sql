-- recon.run_findings: every finding each run saw, with the values of that run and its state now.
-- DROP + CREATE, not CREATE OR REPLACE: a changed file may rename or reorder columns.
DROP VIEW IF EXISTS recon.run_findings;
CREATE VIEW recon.run_findings AS
SELECT
    o.run_id,
    f.id AS finding_id,
    f.check_name,
    c.kind,
    f.wallet_key,
    o.severity,
    f.cause,
    o.stored,
    o.expected,
    o.difference,
    o.currency,
    o.explained_by,
    f.first_seen_run,
    f.resolved_run,
    f.details,
    CASE
        WHEN f.resolved_run IS NOT NULL THEN 'resolved'
        WHEN f.dropped_at IS NOT NULL THEN 'dropped'
        WHEN EXISTS (
            SELECT FROM _recon.repair AS a
            WHERE
                a.finding_id = f.id AND a.strategy = 'acknowledge'
                AND NOT EXISTS (
                    SELECT FROM _recon.repair AS v
                    WHERE a.id = v.reverses
                )
        ) THEN 'acknowledged'
        ELSE 'open'
    END AS state
FROM _recon.observation AS o
INNER JOIN _recon.finding AS f ON o.finding_id = f.id
LEFT JOIN _recon.check_def AS c ON f.check_name = c.name
ORDER BY
    o.run_id DESC, _recon.severity_rank(o.severity) DESC, f.check_name,
    abs(o.difference) DESC NULLS FIRST, f.id;

COMMENT ON VIEW recon.run_findings IS
'Every finding every run saw (filter on run_id): severity and values as that run saw them, and '
'the finding''s state now: open, acknowledged (recon.fix strategy acknowledge), resolved (a '
'later run no longer saw it; resolved_run) or dropped (its check was dropped: kind is then '
'NULL). currency is the finding''s in that run (NULL: unknown); explained_by the findings that '
'held the same money in that run (totals count it there, once). What wallet-recon check and '
'report print.';

REVOKE ALL ON recon.run_findings FROM PUBLIC;
GRANT SELECT ON recon.run_findings TO recon_auditor, recon_operator;
