-- recon.set_check_enabled(): disable a check (kept, left out of runs) or enable it again.
CREATE OR REPLACE FUNCTION recon.set_check_enabled(name text, enabled boolean)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_column
BEGIN
    IF set_check_enabled.enabled IS NULL THEN
        PERFORM _recon.fail('RC106', 'set_check_enabled.enabled must be true or false', 'Got NULL.',
                            'recon.set_check_enabled(''name'', false) disables a check.');
    END IF;
    PERFORM _recon.check(set_check_enabled.name);
    UPDATE _recon.check_def AS c SET enabled = set_check_enabled.enabled WHERE c.name = set_check_enabled.name;
    RETURN recon.describe_check(set_check_enabled.name);
END;
$body$;

COMMENT ON FUNCTION recon.set_check_enabled(text, boolean) IS
'Disables (false) or enables (true) a check: a disabled check keeps its view and history but is '
'left out of recon.discrepancies and of recon.reconcile() unless named. RC107 if unknown. Needs '
'the toolkit owner.';

REVOKE EXECUTE ON FUNCTION recon.set_check_enabled(text, boolean) FROM PUBLIC;
