-- _recon.check_name(): validate the name of a source or check (RC105).
CREATE OR REPLACE FUNCTION _recon.check_name(p_what text, p_name text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    IF p_name IS NULL OR p_name !~ '^[a-z][a-z0-9_]{0,39}$' THEN
        PERFORM _recon.fail(
            'RC105', format('invalid %s name %L', p_what, p_name),
            'Names start with a lower-case letter and hold lower-case letters, digits and _; '
            || 'at most 40 characters.',
            'Choose a name like wallets, main_ledger or wallet_balance.'
        );
    END IF;
    RETURN p_name;
END;
$body$;

COMMENT ON FUNCTION _recon.check_name(text, text) IS
'Returns the name if it is a valid source or check name, else raises RC105.';

REVOKE EXECUTE ON FUNCTION _recon.check_name(text, text) FROM PUBLIC;
