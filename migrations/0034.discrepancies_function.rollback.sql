-- The view as migration 0002 made it (empty until a check is registered), for its rollback.
DROP VIEW IF EXISTS recon.discrepancies;
CREATE VIEW recon.discrepancies AS
SELECT
    NULL::text AS check_name,
    NULL::text AS wallet_key,
    NULL::numeric AS stored,
    NULL::numeric AS expected,
    NULL::numeric AS difference,
    NULL::jsonb AS details
WHERE FALSE;
COMMENT ON VIEW recon.discrepancies IS
'Every finding of every enabled check right now: check_name, wallet_key, stored, expected, '
'difference (stored - expected), details. Rebuilt when checks are registered, enabled, '
'disabled or dropped. recon.reconcile() records them with severity and cause.';
REVOKE ALL ON recon.discrepancies FROM PUBLIC;
GRANT SELECT ON recon.discrepancies TO recon_auditor, recon_operator;
