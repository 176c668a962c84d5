-- _recon.check(): a registered check by name (RC107 if there is none).
CREATE OR REPLACE FUNCTION _recon.check(p_name text)
RETURNS _recon.check_def
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_check _recon.check_def;
BEGIN
    SELECT c.* INTO v_check FROM _recon.check_def AS c WHERE c.name = p_name;
    IF NOT FOUND THEN
        PERFORM _recon.fail('RC107', format('unknown check %L', p_name),
                            'No check of that name is registered.',
                            'SELECT name FROM recon.checks; lists them.');
    END IF;
    RETURN v_check;
END;
$body$;

COMMENT ON FUNCTION _recon.check(text) IS 'The registered check of that name; RC107 if none.';

REVOKE EXECUTE ON FUNCTION _recon.check(text) FROM PUBLIC;
