-- recon.checks: the registered checks.
-- DROP + CREATE, not CREATE OR REPLACE: a changed file may rename or reorder columns. A view
-- of yours on this one makes the DROP (and the upgrade) fail, and nothing changes.
DROP VIEW IF EXISTS recon.checks;
CREATE VIEW recon.checks AS
SELECT
    c.name,
    c.kind,
    c.enabled,
    c.wallet_source,
    c.ledger_source,
    c.currency,
    c.tolerance,
    c.low_limit,
    c.high_wallets,
    c.critical_wallets,
    c.pattern_wallets,
    c.options,
    c.created_at,
    c.created_by,
    'recon.' || c.view_name AS view_name
FROM _recon.check_def AS c;

COMMENT ON VIEW recon.checks IS
'Registered checks: kind, sources, view, thresholds and options. '
'recon.describe_check(name) adds the compiled SQL.';

REVOKE ALL ON recon.checks FROM PUBLIC;
GRANT SELECT ON recon.checks TO recon_auditor, recon_operator;
