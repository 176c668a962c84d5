-- _recon.fix_step_limits(): which wallet and run limits apply to each step.
CREATE OR REPLACE FUNCTION _recon.fix_step_limits(
    p_stage bigint, p_wallet_limit jsonb, p_run_limit jsonb
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- 4. Limits, per wallet and per call, in each step's currency (its wallet's currency
    --    column, else its finding's or check's currency): the call's, else the check's policy,
    --    else its low_limit per wallet and ten times that per call. Each is a map per currency,
    --    its "*" used only where given, and each step says which it used (evidence "limits":
    --    the CLI names every currency limited by a "*").
    --    A currency with no limit is not repaired automatically. A wallet's repairs are all
    --    applied or none.
    UPDATE _recon.fix_stage AS s
    SET evidence = COALESCE(s.evidence, '{}') || jsonb_build_object('limits', jsonb_strip_nulls(
            jsonb_build_object('currency', s.currency, 'wallet_limit', t.wallet_limit,
                               'wallet_limit_from', t.wallet_from, 'run_limit', t.run_limit,
                               'run_limit_from', t.run_from)))
    FROM (
        SELECT x.step, wl.amount AS wallet_limit, wl.source AS wallet_from,
               COALESCE(rl.amount, 10 * wl.amount) AS run_limit,
               COALESCE(rl.source, CASE WHEN wl.amount IS NOT NULL
                                        THEN format('10 x wallet_limit (%s)', wl.source) END)
                   AS run_from
        FROM _recon.fix_stage AS x
        JOIN _recon.check_def AS c ON c.name = x.check_name
        LEFT JOIN _recon.fix_policy AS p ON p.check_name = x.check_name
        LEFT JOIN LATERAL (
            SELECT v.amount::numeric AS amount, v.source
            FROM (VALUES (1, p_wallet_limit ->> x.currency, 'the call''s wallet_limit'),
                         (2, p_wallet_limit ->> '*', 'the call''s "*" wallet_limit'),
                         (3, p.wallet_limit ->> x.currency, 'the policy''s wallet_limit'),
                         (4, p.wallet_limit ->> '*', 'the policy''s "*" wallet_limit'),
                         (5, c.low_limit ->> x.currency, 'the check''s low_limit'),
                         (6, c.low_limit ->> '*', 'the check''s "*" low_limit'))
                 AS v (o, amount, source)
            WHERE v.amount IS NOT NULL ORDER BY v.o LIMIT 1
        ) AS wl ON TRUE
        LEFT JOIN LATERAL (
            SELECT v.amount::numeric AS amount, v.source
            FROM (VALUES (1, p_run_limit ->> x.currency, 'the call''s run_limit'),
                         (2, p_run_limit ->> '*', 'the call''s "*" run_limit'),
                         (3, p.run_limit ->> x.currency, 'the policy''s run_limit'),
                         (4, p.run_limit ->> '*', 'the policy''s "*" run_limit'))
                 AS v (o, amount, source)
            WHERE v.amount IS NOT NULL ORDER BY v.o LIMIT 1
        ) AS rl ON TRUE
        WHERE x.stage_id = p_stage AND x.status = 'planned'
          AND x.strategy NOT IN ('acknowledge', 'reversal') AND x.wallet_key IS NOT NULL
    ) AS t
    WHERE s.stage_id = p_stage AND s.step = t.step;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_step_limits(bigint, jsonb, jsonb) IS
'Phase 4 of _recon.fix_assess: writes into each limited step''s evidence ("limits") the wallet '
'and run limits of its currency and where each came from: the call''s (p_wallet_limit, '
'p_run_limit, maps per currency), else the check''s fix policy, else its low_limit per wallet '
'and ten times that per call; a "*" only where no currency''s own is given.';

REVOKE EXECUTE ON FUNCTION _recon.fix_step_limits(bigint, jsonb, jsonb) FROM PUBLIC;
