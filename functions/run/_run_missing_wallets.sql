-- _recon.run_missing_wallets(): a run's totals explained by the wallets missing from them.
CREATE OR REPLACE FUNCTION _recon.run_missing_wallets(p_run bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_total text[];
    v_missing_wallet text[];
BEGIN
    SELECT COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'total' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'missing_wallet' = ANY (k.cause_roles)), '{}')
    INTO v_total, v_missing_wallet
    FROM _recon.check_kind AS k;
    -- A total that drifts by exactly what missing wallets hold (a total kind's finding, a
    -- coverage kind's findings): the missing wallets, which hold that money (explained_by)
    -- when they are all in the total's currency.
    UPDATE _recon.run_stage AS s
    SET cause = 'missing_wallet',
        details = s.details || jsonb_build_object(
            'cause', 'missing_wallet',
            'evidence', jsonb_build_object('check', m.check_name, 'missing_wallets', m.n,
                                           'amount', m.amount)),
        explained_by = CASE WHEN cardinality(m.currencies) = 1
                                 AND m.currencies[1] IS NOT DISTINCT FROM s.currency
                            THEN m.refs END
    FROM (
        SELECT o.check_name, count(*) AS n, sum(o.expected) AS amount,
               array_agg(DISTINCT o.currency) AS currencies,
               jsonb_agg(jsonb_build_object('check', o.check_name, 'finding', o.finding_key)
                         ORDER BY o.finding_key) AS refs
        FROM _recon.run_stage AS o
        JOIN _recon.check_def AS co ON co.name = o.check_name AND co.kind = ANY (v_missing_wallet)
        WHERE o.run_id = p_run
        GROUP BY o.check_name
    ) AS m, _recon.check_def AS c
    WHERE s.run_id = p_run AND c.name = s.check_name AND c.kind = ANY (v_total)
      AND s.cause IS NULL
      AND abs(s.difference) = m.amount;
END;
$body$;

COMMENT ON FUNCTION _recon.run_missing_wallets(bigint) IS
'Phase 6 of recon.reconcile: a staged finding of a total kind (cause_roles) of run p_run with '
'no cause, drifting by exactly what a coverage check''s missing wallets hold, gets the cause '
'missing_wallet, with the evidence, and explained_by those findings when they are all in the '
'total''s currency.';

REVOKE EXECUTE ON FUNCTION _recon.run_missing_wallets(bigint) FROM PUBLIC;
