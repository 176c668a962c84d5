-- _recon.balance_state_table(): a balance check's live per-wallet state table, or NULL.
CREATE OR REPLACE FUNCTION _recon.balance_state_table(p_check text)
RETURNS regclass
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT to_regclass(format('_recon.%I', g.state_table))
    FROM _recon.balance_state_mark AS g
    WHERE g.check_name = p_check;
$body$;

COMMENT ON FUNCTION _recon.balance_state_table(text) IS
'The live per-wallet state table of balance check p_check (named by _recon.balance_state_mark; '
'columns k, the wallet key in its own type, n, n_amount, n_bad, sums, has_wallet; primary key '
'k), or NULL when it has none. It is whole when the mark''s run_id equals the watermark''s.';

REVOKE EXECUTE ON FUNCTION _recon.balance_state_table(text) FROM PUBLIC;
