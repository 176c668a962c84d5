-- _recon.fix_stored_steps(): each step's stored balances before and after it.
CREATE OR REPLACE FUNCTION _recon.fix_stored_steps(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- 5. Each step's stored balances before and after it, in step order within the wallet.
    UPDATE _recon.fix_stage AS s
    SET stored_before = y.before, stored_after = y.after
    FROM (
        SELECT c.step, jsonb_object_agg(c.col, c.before) AS before,
               jsonb_object_agg(c.col, c.after) AS after
        FROM (
            SELECT m.step, m.col, m.b0 + sum(m.d) OVER w - m.d AS before,
                   m.b0 + sum(m.d) OVER w AS after
            FROM (
                SELECT s.step, s.wallet_source, s.wallet_key, k.col,
                       (s.stored_before ->> k.col)::numeric AS b0,
                       CASE WHEN s.status IN ('planned', 'covered')
                            THEN COALESCE((s.moves ->> k.col)::numeric, 0) ELSE 0 END AS d
                FROM _recon.fix_stage AS s
                CROSS JOIN LATERAL jsonb_object_keys(s.stored_before) AS k (col)
                WHERE s.stage_id = p_stage
            ) AS m
            WINDOW w AS (PARTITION BY m.wallet_source, m.wallet_key, m.col ORDER BY m.step)
        ) AS c
        GROUP BY c.step
    ) AS y
    WHERE s.stage_id = p_stage AND s.step = y.step;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_stored_steps(bigint) IS
'Phase 5 of _recon.fix_assess: fills each step''s stored_before and stored_after, in step order '
'within its wallet, from what the wallet held and what the steps before it move.';

REVOKE EXECUTE ON FUNCTION _recon.fix_stored_steps(bigint) FROM PUBLIC;
