-- _recon.stored_balances_sql(): a wallet row's stored balances, in major units, as SQL.
CREATE OR REPLACE FUNCTION _recon.stored_balances_sql(
    p_ws _recon.wallet_source, p_columns text[]
)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- jsonb_build_object('balance', w.balance, ...) over the wallet table as "w", each column in
    -- major units where the source keeps minor ones (_recon.major_sql): what the plan, the ledger
    -- sums and the conservation check compare
    SELECT format('jsonb_build_object(%s)', string_agg(
        format('%L, %s', b, _recon.major_sql(p_ws.balance_scale, format('w.%I', b), 'w')), ', '
        ORDER BY n))
    FROM unnest(p_columns) WITH ORDINALITY AS c (b, n);
$body$;

COMMENT ON FUNCTION _recon.stored_balances_sql(_recon.wallet_source, text[]) IS
'The SQL of a wallet row''s stored balances (the wallet table aliased "w") as {column: value in '
'major units} for the columns p_columns of wallet source p_ws: one builder for '
'_recon.fix_read_wallets, _recon.fix_measure and _recon.fix_post_first_sql.';

REVOKE EXECUTE ON FUNCTION _recon.stored_balances_sql(_recon.wallet_source, text[]) FROM PUBLIC;
