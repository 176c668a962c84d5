-- _recon.checks_intact(): RC204 for the first of some checks whose view or tables are gone.
CREATE OR REPLACE FUNCTION _recon.checks_intact(p_names text[])
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_check record;
BEGIN
    -- A DROP ... CASCADE of a table a check reads (a deploy that recreates the ledger table)
    -- drops the check's view with it, and leaves the sources naming a table that is no more.
    -- Said before anything is read, naming the check: never a raw "relation does not exist",
    -- never a check skipped (its findings would be missing from the run).
    SELECT c.name, c.view_name,
           CASE WHEN to_regclass(format('recon.%I', c.view_name)) IS NULL
                THEN format('its view recon.%s', c.view_name)
                ELSE format('the table of its %s source', CASE WHEN l.relid IS NOT NULL
                    AND NOT EXISTS (SELECT FROM pg_catalog.pg_class AS r WHERE r.oid = l.relid)
                    THEN 'ledger' ELSE 'wallet' END) END AS what
    INTO v_check
    FROM _recon.check_def AS c
    LEFT JOIN _recon.ledger_source AS l ON l.name = c.ledger_source
    LEFT JOIN _recon.wallet_source AS w ON w.name = COALESCE(c.wallet_source, l.wallet_source)
    WHERE c.name = ANY (p_names)
      AND (to_regclass(format('recon.%I', c.view_name)) IS NULL
           OR (l.relid IS NOT NULL
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_class AS r WHERE r.oid = l.relid))
           OR (w.relid IS NOT NULL
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_class AS r WHERE r.oid = w.relid)))
    ORDER BY c.name
    LIMIT 1;
    IF FOUND THEN
        PERFORM _recon.fail(
            'RC204', format('check %s lost %s', v_check.name, v_check.what),
            'A DROP ... CASCADE of a table or function it reads (a deploy that recreates the '
            || 'table) dropped it; the check is still registered, and nothing was run.',
            format('Drop it (SELECT recon.drop_check(%L); and its sources, recon.drop_source) and '
                   || 'register it again over the tables as they are now, or disable it '
                   || '(recon.set_check_enabled(%L, false)).', v_check.name, v_check.name));
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.checks_intact(text[]) IS
'RC204 naming the first check of p_names (by name) whose view recon.check_<name> is gone, or '
'whose ledger or wallet source names a table that no longer exists (a DROP ... CASCADE took '
'them): run before a reconcile reads anything, and by recon.discrepancies.';

REVOKE EXECUTE ON FUNCTION _recon.checks_intact(text[]) FROM PUBLIC;
