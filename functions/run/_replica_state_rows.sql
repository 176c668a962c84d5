-- _recon.replica_state_rows(): a balance check's per-wallet state for some wallets, as data.
CREATE OR REPLACE FUNCTION _recon.replica_state_rows(p_check text, p_keys text[])
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- The one read of the state (_recon.balance_state) for a run read on a standby: the sums
    -- as text, so that every numeric (NaN, Infinity) comes back exactly.
    SELECT COALESCE(jsonb_agg(jsonb_build_object(
               'k', s.wallet_key, 'n', s.n, 'n_amount', s.n_amount, 'n_bad', s.n_bad,
               'sums', s.sums::text, 'has_wallet', s.has_wallet) ORDER BY s.wallet_key),
           '[]'::jsonb)
    FROM _recon.balance_state AS s
    WHERE s.check_name = p_check AND s.wallet_key = ANY (p_keys);
$body$;

COMMENT ON FUNCTION _recon.replica_state_rows(text, text[]) IS
'On the primary: the per-wallet state of balance check p_check for the wallet keys p_keys (those '
'that have a row), as a jsonb array of {k, n, n_amount, n_bad, sums (numeric[] as text), '
'has_wallet}: what a standby judges an increment from (_recon.replica_increment_rows). The '
'state''s one reader for the standby path; _recon.replica_state_advance its one writer.';

REVOKE EXECUTE ON FUNCTION _recon.replica_state_rows(text, text[]) FROM PUBLIC;
