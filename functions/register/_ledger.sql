-- _recon.ledger(): a registered ledger source by name (RC107 if there is none).
CREATE OR REPLACE FUNCTION _recon.ledger(p_name text)
RETURNS _recon.ledger_source
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_source _recon.ledger_source;
BEGIN
    SELECT l.* INTO v_source FROM _recon.ledger_source AS l WHERE l.name = p_name;
    IF NOT FOUND THEN
        PERFORM _recon.fail(
            'RC107', format('unknown ledger source %L', p_name),
            'No ledger source of that name is registered.',
            'See SELECT * FROM recon.sources; register one with recon.register_ledger_source().'
        );
    END IF;
    RETURN v_source;
END;
$body$;

COMMENT ON FUNCTION _recon.ledger(text) IS
'The registered ledger source of that name; RC107 if none.';

REVOKE EXECUTE ON FUNCTION _recon.ledger(text) FROM PUBLIC;
