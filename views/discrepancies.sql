-- recon.discrepancies: every finding of every enabled check right now.
-- It reads the checks through _recon.discrepancies(), not as a UNION of their views: a view
-- over the checks' views would depend on your tables through them, and a DROP SCHEMA ...
-- CASCADE of those tables would drop it. DROP + CREATE, as for the other views.
DROP VIEW IF EXISTS recon.discrepancies;
CREATE VIEW recon.discrepancies AS
SELECT
    d.check_name,
    d.wallet_key,
    d.stored,
    d.expected,
    d.difference,
    d.details
FROM _recon.discrepancies() AS d (
    check_name text, wallet_key text, stored numeric, expected numeric, difference numeric,
    details jsonb
);

COMMENT ON VIEW recon.discrepancies IS
'Every finding of every enabled check right now: check_name, wallet_key, stored, expected, '
'difference (stored - expected), details. Reads each enabled check''s view at query time '
'(_recon.discrepancies(): no dependency on them, so dropping your tables never drops this '
'view; RC204 names a check whose view such a drop took). recon.reconcile() records them with '
'severity and cause.';

REVOKE ALL ON recon.discrepancies FROM PUBLIC;
GRANT SELECT ON recon.discrepancies TO recon_auditor, recon_operator;
