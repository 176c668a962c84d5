-- recon.open_findings: what the latest runs found and no later run has seen resolved.
-- DROP + CREATE, not CREATE OR REPLACE: a changed file may rename or reorder columns. A view
-- of yours on this one makes the DROP (and the upgrade) fail, and nothing changes.
DROP VIEW IF EXISTS recon.open_findings;
CREATE VIEW recon.open_findings AS
SELECT
    f.id,
    f.check_name,
    c.kind,
    f.wallet_key,
    f.severity,
    f.cause,
    f.stored,
    f.expected,
    f.difference,
    f.currency,
    f.explained_by,
    f.first_seen_run,
    r.started_at AS first_seen_at,
    f.last_seen_run,
    f.details
FROM _recon.finding AS f
INNER JOIN _recon.check_def AS c ON f.check_name = c.name
INNER JOIN _recon.run AS r ON f.first_seen_run = r.id
WHERE
    f.resolved_run IS NULL AND f.dropped_at IS NULL
    -- acknowledged (recon.fix, strategy acknowledge) and not withdrawn: accepted, not open
    AND NOT EXISTS (
        SELECT FROM _recon.repair AS a
        WHERE
            a.finding_id = f.id AND a.strategy = 'acknowledge'
            AND NOT EXISTS (
                SELECT FROM _recon.repair AS v
                WHERE a.id = v.reverses
            )
    )
ORDER BY _recon.severity_rank(f.severity) DESC, abs(f.difference) DESC NULLS FIRST, f.id;

COMMENT ON VIEW recon.open_findings IS
'Open findings (issues): seen by a run and not yet resolved by a later one, most severe first. '
'cause is the suspected cause where a run could show one; details holds the evidence. currency '
'is the finding''s (its wallet''s, else its check''s; NULL: unknown); explained_by the findings '
'holding the same money (an orphaned payment behind a balance drift). An '
'acknowledged finding (recon.fix, strategy acknowledge) is not listed while it stays as it was '
'acknowledged.';

REVOKE ALL ON recon.open_findings FROM PUBLIC;
GRANT SELECT ON recon.open_findings TO recon_auditor, recon_operator;
