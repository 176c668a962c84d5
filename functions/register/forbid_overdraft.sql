-- recon.forbid_overdraft(): remove an overdraft exemption (back to "never overdraw").
CREATE OR REPLACE FUNCTION recon.forbid_overdraft(
    source text, wallet text DEFAULT NULL, balance_column text DEFAULT NULL
)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_variable
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(forbid_overdraft.source);
BEGIN
    DELETE FROM _recon.overdraft_exemption AS e
    WHERE e.wallet_source = v_ws.name
      AND e.wallet_key IS NOT DISTINCT FROM forbid_overdraft.wallet
      AND e.balance_column IS NOT DISTINCT FROM forbid_overdraft.balance_column;
    RETURN FOUND;
END;
$body$;

COMMENT ON FUNCTION recon.forbid_overdraft(text, text, text) IS
'Removes the overdraft exemption of exactly that scope (wallet, balance column, NULL for '
'every) set by recon.allow_overdraft(); returns whether there was one. Needs the toolkit '
'owner.';

REVOKE EXECUTE ON FUNCTION recon.forbid_overdraft(text, text, text) FROM PUBLIC;
