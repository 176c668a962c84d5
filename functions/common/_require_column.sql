-- _recon.require_column(): a check needs an optional ledger column that was not registered (RC106).
CREATE OR REPLACE FUNCTION _recon.require_column(
    p_ledger _recon.ledger_source, p_column name, p_option text, p_kind text
)
RETURNS name
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    IF p_column IS NULL THEN
        PERFORM _recon.fail(
            'RC106', format('a %s check needs ledger %s to have a %s column', p_kind,
                            p_ledger.name, replace(p_option, '_', ' ')),
            format('Ledger source %s was registered without "%s".', p_ledger.name, p_option),
            format('Drop and re-register the ledger source with {"%s": "<column>"}.', p_option)
        );
    END IF;
    RETURN p_column;
END;
$body$;

COMMENT ON FUNCTION _recon.require_column(_recon.ledger_source, name, text, text) IS
'Returns the ledger column if registered; RC106 naming the missing option otherwise.';

REVOKE EXECUTE ON FUNCTION _recon.require_column(_recon.ledger_source, name, text, text)
FROM PUBLIC;
