-- _recon.fix_plan_steps(): stage one step per open finding to repair, with its postings and moves.
CREATE OR REPLACE FUNCTION _recon.fix_plan_steps(
    p_stage bigint, p_run bigint, p_checks text[], p_wallets text[], p_findings bigint[],
    p_strategy text
)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- as _recon.fix_plan: joins over the stage are hashed, never nested loops
SET enable_nestloop = off
AS $body$
DECLARE
    v_steps integer;
BEGIN
    -- The findings, each with its repair: what it posts into the ledger (postings: wallet,
    -- deltas per balance column, purpose) and what it adds to the stored balances (moves).
    INSERT INTO _recon.fix_stage (
        stage_id, step, finding_id, check_name, kind, finding_key, wallet_source, wallet_key,
        ledger_source, strategy, difference, amount, postings, moves, status, note, repair_key
    )
    SELECT p_stage,
           row_number() OVER (ORDER BY x.wallet_source, x.wallet_key NULLS LAST,
                              array_position(ARRAY['duplicate', 'orphan', 'balance', 'derived'],
                                             x.kind) NULLS LAST, x.check_name, x.finding_key),
           x.id, x.check_name, x.kind, x.finding_key, x.wallet_source, x.wallet_key,
           CASE WHEN x.strategy IN ('adjust', 'post_missing', 'reverse', 'move', 'resolve')
                THEN x.ledger END,
           x.strategy, x.difference,
           CASE WHEN x.strategy = 'post_missing' THEN abs(x.expected) ELSE abs(x.difference) END,
           CASE WHEN x.manual IS NOT NULL THEN '[]'::jsonb
                WHEN x.strategy = 'adjust' THEN jsonb_build_array(jsonb_build_object(
                    'wallet', x.wallet_key, 'deltas', jsonb_build_object(x.col, x.difference),
                    'purpose', 'adjustment'))
                WHEN x.strategy = 'post_missing' THEN jsonb_build_array(jsonb_build_object(
                    'wallet', x.wallet_key, 'deltas', jsonb_build_object(x.col, x.expected),
                    'purpose', 'missing', 'source_id', x.details ->> 'source_id',
                    'reference', x.details ->> 'source_id'))
                WHEN x.strategy = 'move' AND x.ledger IS NOT NULL THEN jsonb_build_array(
                    jsonb_build_object('wallet', x.wallet_key, 'purpose', 'move', 'deltas',
                                       jsonb_build_object(x.col, -x.difference,
                                                          x.other, x.difference)))
                ELSE '[]'::jsonb END,
           CASE WHEN x.manual IS NOT NULL THEN '{}'::jsonb
                WHEN x.strategy = 'resync' THEN jsonb_build_object(x.col, -x.difference)
                WHEN x.strategy = 'post_missing' THEN jsonb_build_object(x.col, x.expected)
                WHEN x.strategy = 'move' THEN jsonb_build_object(x.col, -x.difference,
                                                                 x.other, x.difference)
                ELSE '{}'::jsonb END,
           CASE WHEN x.manual IS NOT NULL THEN 'manual' ELSE 'planned' END,
           x.manual,
           -- The same repair: the same finding as the same run last saw it, not undone since.
           -- A finding seen again by a later run (it drifted again) is a new repair; two calls
           -- on one plan, or one call twice, are the same.
           format('finding:%s:%s:%s', x.id, x.last_seen_run, (
               SELECT count(*) FROM _recon.repair AS r
               WHERE r.finding_id = x.id
                 AND EXISTS (SELECT FROM _recon.repair AS v WHERE v.reverses = r.id)))
    FROM _recon.fix_plan_findings(p_run, p_checks, p_wallets, p_findings, p_strategy) AS x;
    GET DIAGNOSTICS v_steps = ROW_COUNT;
    RETURN v_steps;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_plan_steps(bigint, bigint, text[], text[], bigint[], text) IS
'Phase 1 of _recon.fix_plan: stages one step per finding _recon.fix_plan_findings returns, '
'numbered by wallet then kind, with what it posts into the ledger (postings: wallet, deltas '
'per balance column, purpose), what it adds to the stored balances (moves), its status '
'(planned, or manual with the reason) and its unique repair key. Returns the number of steps.';

REVOKE EXECUTE ON FUNCTION _recon.fix_plan_steps(bigint, bigint, text[], text[], bigint[], text)
FROM PUBLIC;
