-- _recon.recheck(): a check's findings now, for some wallets only.
CREATE OR REPLACE FUNCTION _recon.recheck(p_check _recon.check_def, p_wallets text[])
RETURNS TABLE (
    check_name text,
    wallet_key text,
    stored numeric,
    expected numeric,
    difference numeric,
    details jsonb,
    finding_key text
)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    RETURN QUERY EXECUTE _recon.recheck_sql(p_check) USING p_wallets;
END;
$body$;

COMMENT ON FUNCTION _recon.recheck(_recon.check_def, text[]) IS
'A check''s findings now for the wallets p_wallets only, with their finding keys '
'(_recon.recheck_sql).';

REVOKE EXECUTE ON FUNCTION _recon.recheck(_recon.check_def, text[]) FROM PUBLIC;
