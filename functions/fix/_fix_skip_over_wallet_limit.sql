-- _recon.fix_skip_over_wallet_limit(): skip a wallet's steps above its auto-fix limit.
CREATE OR REPLACE FUNCTION _recon.fix_skip_over_wallet_limit(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = CASE WHEN t.lim IS NULL THEN format(
                   'above the auto-fix limit: no wallet_limit for %s (none given for it, no "*" '
                   || 'and no low_limit): not repaired automatically', COALESCE(
                       t.currency, 'an unknown currency (only a "*" limit applies)'))
                    ELSE format('above the auto-fix limit: %s > wallet_limit %s%s (%s; run_limit '
                                || '%s applies to the whole call)', t.total, t.lim,
                                COALESCE(' ' || t.currency, ''), t.lim_from, t.run_lim) END
    FROM (
        SELECT x.check_name, x.wallet_source, x.wallet_key, x.currency, sum(x.amount) AS total,
               max((x.evidence -> 'limits' ->> 'wallet_limit')::numeric) AS lim,
               max(x.evidence -> 'limits' ->> 'wallet_limit_from') AS lim_from,
               max((x.evidence -> 'limits' ->> 'run_limit')::numeric) AS run_lim
        FROM _recon.fix_stage AS x
        WHERE x.stage_id = p_stage AND x.status = 'planned'
          AND x.strategy NOT IN ('acknowledge', 'reversal') AND x.wallet_key IS NOT NULL
        GROUP BY 1, 2, 3, 4
    ) AS t
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.check_name = t.check_name
      AND s.currency IS NOT DISTINCT FROM t.currency
      -- plain equality, not IS NOT DISTINCT FROM (a nested loop over thousands of steps): a
      -- limited step always has a wallet
      AND s.wallet_source = t.wallet_source AND s.wallet_key = t.wallet_key
      AND (t.lim IS NULL OR t.total > t.lim);
END;
$body$;

COMMENT ON FUNCTION _recon.fix_skip_over_wallet_limit(bigint) IS
'Phase 4 of _recon.fix_assess: skips the planned steps of a wallet (per check and currency) '
'whose amounts add up to more than the wallet_limit in their evidence, or that have no limit '
'for their currency (not repaired automatically).';

REVOKE EXECUTE ON FUNCTION _recon.fix_skip_over_wallet_limit(bigint) FROM PUBLIC;
