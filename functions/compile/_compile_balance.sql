-- _recon.compile_balance(): stored balances against the sum of ledger effects (seeds 000-003).
CREATE OR REPLACE FUNCTION _recon.compile_balance(p_name text, p_options jsonb)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT _recon.balance_findings_sql(
        p_name, p_options, '(' || _recon.balance_agg_sql(p_options, 'TRUE') || ') AS e', 'FULL'
    );
$body$;

COMMENT ON FUNCTION _recon.compile_balance(text, jsonb) IS
'Compiles a balance check: each stored balance column against the sum of the ledger''s effects '
'on it, in one pass over the ledger (GROUP BY wallet) fully joined to the wallets. A wallet with '
'no entries and a zero balance is clean; NULL, NaN and infinite values, entries of unknown '
'wallets and unmapped entry types are findings.';

REVOKE EXECUTE ON FUNCTION _recon.compile_balance(text, jsonb) FROM PUBLIC;
