-- _recon.fail(): raise a wallet-recon error with its SQLSTATE, DETAIL and HINT.
CREATE OR REPLACE FUNCTION _recon.fail(
    p_code text, p_message text, p_detail text, p_hint text
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = p_code, MESSAGE = p_message, DETAIL = p_detail, HINT = p_hint;
END;
$body$;

COMMENT ON FUNCTION _recon.fail(text, text, text, text) IS
'Raises a wallet-recon error: SQLSTATE (docs/SQLSTATES.md), message, DETAIL and HINT.';

REVOKE EXECUTE ON FUNCTION _recon.fail(text, text, text, text) FROM PUBLIC;
