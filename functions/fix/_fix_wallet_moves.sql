-- _recon.fix_wallet_moves(): per wallet and column, what a plan's planned steps move it by.
CREATE OR REPLACE FUNCTION _recon.fix_wallet_moves(p_stage bigint)
RETURNS TABLE (
    wallet_source text, wallet_key text, col text, first_step integer, before numeric,
    moved numeric
)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT y.wallet_source, y.wallet_key, m.key, min(y.step),
           (max(y.stored_before ->> m.key))::numeric, sum(m.value::numeric)
    FROM _recon.fix_stage AS y, jsonb_each_text(y.moves) AS m
    WHERE y.stage_id = p_stage AND y.status = 'planned'
    GROUP BY y.wallet_source, y.wallet_key, m.key
$body$;

COMMENT ON FUNCTION _recon.fix_wallet_moves(bigint) IS
'Per wallet and balance column of the staged plan p_stage: its first planned step, its stored '
'balance before the plan (stored_before) and the sum of what the planned steps move it by. '
'What the overdraft and column-fit phases of _recon.fix_assess judge.';

REVOKE EXECUTE ON FUNCTION _recon.fix_wallet_moves(bigint) FROM PUBLIC;
