-- _recon.source_name_free(): a new source's name, if no wallet or ledger source has it (RC104).
CREATE OR REPLACE FUNCTION _recon.source_name_free(p_what text, p_name text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    PERFORM _recon.check_name(p_what, p_name);
    IF EXISTS (SELECT FROM _recon.wallet_source AS w WHERE w.name = p_name)
        OR EXISTS (SELECT FROM _recon.ledger_source AS l WHERE l.name = p_name) THEN
        PERFORM _recon.fail(
            'RC104', format('a source named %L already exists', p_name),
            'Wallet and ledger sources share one namespace.',
            'Pick another name, or recon.drop_source() the old one first.'
        );
    END IF;
    RETURN p_name;
END;
$body$;

COMMENT ON FUNCTION _recon.source_name_free(text, text) IS
'Returns the name if it is valid (RC105) and no wallet or ledger source has it (RC104).';

REVOKE EXECUTE ON FUNCTION _recon.source_name_free(text, text) FROM PUBLIC;
