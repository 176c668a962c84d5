-- recon.kinds: the check kinds recon.register_check() knows (the registry).
-- DROP + CREATE, not CREATE OR REPLACE: a changed file may rename or reorder columns. A view
-- of yours on this one makes the DROP (and the upgrade) fail, and nothing changes.
DROP VIEW IF EXISTS recon.kinds;
CREATE VIEW recon.kinds AS
SELECT
    k.kind,
    k.description,
    k.options,
    k.required,
    k.compiler,
    k.strategies,
    k.cause_roles,
    k.user_query
FROM _recon.check_kind AS k;

COMMENT ON VIEW recon.kinds IS
'The check kinds recon.register_check() takes, one row each (the registry _recon.check_kind): '
'its options besides the common ones and those required, its compiler, the repair strategies '
'recon.fix() allows (default first), its part in reconcile''s causes, and whether the SQL is '
'the user''s own (custom). Adding a kind: docs/CHECKS.md.';

COMMENT ON COLUMN recon.kinds.kind IS 'The kind, as recon.register_check() takes it.';
COMMENT ON COLUMN recon.kinds.description IS 'What its findings are.';
COMMENT ON COLUMN recon.kinds.options IS
'Options a check of the kind takes besides the common ones; any other key is RC106.';
COMMENT ON COLUMN recon.kinds.required IS 'Options that must be given.';
COMMENT ON COLUMN recon.kinds.compiler IS
'The function compiler(p_name text, p_options jsonb) RETURNS text compiling its view''s SELECT.';
COMMENT ON COLUMN recon.kinds.strategies IS
'The repairs recon.fix() can apply to its findings, the default first.';
COMMENT ON COLUMN recon.kinds.cause_roles IS
'Its part in reconcile''s causes: explained, payment, amount, break, total, missing_wallet, '
'pattern (docs/CHECKS.md, section 4).';
COMMENT ON COLUMN recon.kinds.user_query IS
'The SQL is the user''s own query (custom): bound on their search_path, never recompiled.';

REVOKE ALL ON recon.kinds FROM PUBLIC;
GRANT SELECT ON recon.kinds TO recon_auditor, recon_operator;
