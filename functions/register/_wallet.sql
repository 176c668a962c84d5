-- _recon.wallet(): a registered wallet source by name (RC107 if there is none).
CREATE OR REPLACE FUNCTION _recon.wallet(p_name text)
RETURNS _recon.wallet_source
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_source _recon.wallet_source;
BEGIN
    SELECT w.* INTO v_source FROM _recon.wallet_source AS w WHERE w.name = p_name;
    IF NOT FOUND THEN
        PERFORM _recon.fail(
            'RC107', format('unknown wallet source %L', p_name),
            'No wallet source of that name is registered.',
            'See SELECT * FROM recon.sources; register one with recon.register_wallet_source().'
        );
    END IF;
    RETURN v_source;
END;
$body$;

COMMENT ON FUNCTION _recon.wallet(text) IS
'The registered wallet source of that name; RC107 if none.';

REVOKE EXECUTE ON FUNCTION _recon.wallet(text) FROM PUBLIC;
