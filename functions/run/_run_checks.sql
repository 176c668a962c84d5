-- _recon.run_checks(): the checks a reconcile runs, or RC201/RC202.
CREATE OR REPLACE FUNCTION _recon.run_checks(p_checks text[], p_mode text)
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_unknown text;
BEGIN
    IF p_mode IS NULL OR p_mode NOT IN ('full', 'incremental') THEN
        PERFORM _recon.fail('RC201', format('unknown reconcile mode %L', p_mode),
                            'Modes: full, incremental.',
                            'recon.reconcile() runs every enabled check in full.');
    END IF;
    IF p_checks IS NOT NULL THEN
        SELECT string_agg(COALESCE(quote_literal(n), 'NULL'), ', ') INTO v_unknown
        FROM unnest(p_checks) AS n
        WHERE n IS NULL OR NOT EXISTS (SELECT FROM _recon.check_def AS c WHERE c.name = n);
        IF v_unknown IS NOT NULL OR cardinality(p_checks) = 0 THEN
            PERFORM _recon.fail('RC202', format('unknown check %s',
                                                COALESCE(v_unknown, '(none named)')),
                                'Only registered checks can be run.',
                                'SELECT name FROM recon.checks; lists them; pass NULL for all.');
        END IF;
    END IF;
    RETURN ARRAY(SELECT c.name FROM _recon.check_def AS c
                 WHERE (p_checks IS NULL AND c.enabled) OR c.name = ANY (p_checks)
                 ORDER BY c.name);
END;
$body$;

COMMENT ON FUNCTION _recon.run_checks(text[], text) IS
'The checks a reconcile of p_checks (NULL: every enabled check) in mode p_mode runs, in name '
'order. Errors: RC201 unknown mode, RC202 unknown check.';

REVOKE EXECUTE ON FUNCTION _recon.run_checks(text[], text) FROM PUBLIC;
