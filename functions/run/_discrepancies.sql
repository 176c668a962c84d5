-- _recon.discrepancies(): every finding of every enabled check now, read check by check.
CREATE OR REPLACE FUNCTION _recon.discrepancies()
-- rows of (check_name text, wallet_key text, stored numeric, expected numeric, difference
-- numeric, details jsonb): the column list is recon.discrepancies'
RETURNS SETOF record
LANGUAGE plpgsql
STABLE
-- as recon.reconcile(): the checks' views are read as the toolkit's owner, which the view over
-- the checks' views did before (a view runs with its owner's privileges); an auditor has no
-- privilege on _recon.check_def
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_check record;
BEGIN
    -- Each check's view is read by name, at call time: recon.discrepancies depends on this
    -- function only, never on the checks' views (which depend on your tables), so a DROP ...
    -- CASCADE of your tables takes the views of the checks over them and no other toolkit
    -- object. A check whose view is gone is said, never skipped: its findings would be missing.
    PERFORM _recon.checks_intact(ARRAY(SELECT c.name FROM _recon.check_def AS c
                                       WHERE c.enabled));
    FOR v_check IN SELECT c.name, c.view_name FROM _recon.check_def AS c
                   WHERE c.enabled ORDER BY c.name LOOP
        RETURN QUERY EXECUTE format(
            'SELECT d.check_name::text, d.wallet_key::text, d.stored::numeric, '
            || 'd.expected::numeric, d.difference::numeric, d.details::jsonb FROM recon.%I AS d',
            v_check.view_name);
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.discrepancies() IS
'The rows of recon.discrepancies (check_name text, wallet_key text, stored, expected, '
'difference numeric, details jsonb): every finding of every enabled check now, each check''s view '
'read by name in check-name order (no dependency on the views: a user''s DROP ... CASCADE never '
'reaches recon.discrepancies). RC204 when an enabled check''s view is gone '
'(_recon.checks_intact).';

REVOKE EXECUTE ON FUNCTION _recon.discrepancies() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _recon.discrepancies() TO recon_auditor, recon_operator;
