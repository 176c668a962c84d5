-- _recon.overdraft_exemption_for(): the exemption that lets a wallet's column go negative.
CREATE OR REPLACE FUNCTION _recon.overdraft_exemption_for(
    p_source text, p_key text, p_column text
)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT jsonb_build_object('id', e.id, 'reason', e.reason)
    FROM _recon.overdraft_exemption AS e
    WHERE e.wallet_source = p_source
      AND (e.wallet_key IS NULL OR e.wallet_key = p_key)
      AND (e.balance_column IS NULL OR e.balance_column = p_column)
    -- the narrowest scope first
    ORDER BY e.wallet_key IS NULL, e.balance_column IS NULL, e.id
    LIMIT 1
$body$;

COMMENT ON FUNCTION _recon.overdraft_exemption_for(text, text, text) IS
'The overdraft exemption (recon.allow_overdraft) that lets recon.fix() leave column p_column '
'of wallet p_key of source p_source below zero, as {"id", "reason"}: the narrowest scope first '
'(the wallet and column, the wallet, the column, the whole source); NULL if none.';

REVOKE EXECUTE ON FUNCTION _recon.overdraft_exemption_for(text, text, text) FROM PUBLIC;
