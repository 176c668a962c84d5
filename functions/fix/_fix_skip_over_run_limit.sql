-- _recon.fix_skip_over_run_limit(): skip the wallets past a check's run limit.
CREATE OR REPLACE FUNCTION _recon.fix_skip_over_run_limit(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = format('over the run limit: %s > run_limit %s%s for check %s (%s)', t.running,
                      t.lim, COALESCE(' ' || t.currency, ''), t.check_name, t.lim_from)
    FROM (
        SELECT w.*, sum(w.total) OVER (PARTITION BY w.check_name, w.currency
                                       ORDER BY w.first_step) AS running
        FROM (
            SELECT x.check_name, x.wallet_source, x.wallet_key, x.currency,
                   min(x.step) AS first_step, sum(x.amount) AS total,
                   max((x.evidence -> 'limits' ->> 'run_limit')::numeric) AS lim,
                   max(x.evidence -> 'limits' ->> 'run_limit_from') AS lim_from
            FROM _recon.fix_stage AS x
            WHERE x.stage_id = p_stage AND x.status = 'planned'
              AND x.strategy NOT IN ('acknowledge', 'reversal') AND x.wallet_key IS NOT NULL
            GROUP BY 1, 2, 3, 4
        ) AS w
    ) AS t
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.check_name = t.check_name
      AND s.wallet_source = t.wallet_source AND s.wallet_key = t.wallet_key
      AND t.running > t.lim;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_skip_over_run_limit(bigint) IS
'Phase 4 of _recon.fix_assess: in step order, skips each wallet whose repairs would take its '
'check''s running total (per currency) past the run_limit in the steps'' evidence.';

REVOKE EXECUTE ON FUNCTION _recon.fix_skip_over_run_limit(bigint) FROM PUBLIC;
