-- _recon.run_severity(): a run's staged findings classified, per the runbook.
CREATE OR REPLACE FUNCTION _recon.run_severity(p_run bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_pattern text[];
    v_user_query text[];
BEGIN
    SELECT COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'pattern' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind) FILTER (WHERE k.user_query), '{}')
    INTO v_pattern, v_user_query
    FROM _recon.check_kind AS k;
    -- One wallet LOW or MEDIUM by amount; several wallets HIGH; a systematic pattern (many
    -- wallets, one shown cause, or one hour) CRITICAL. Broken data (NULL, NaN, unknown
    -- wallets, unmapped types) is at least HIGH.
    WITH per_check AS (
        SELECT s.check_name, count(DISTINCT COALESCE(s.wallet_key, s.finding_key)) AS wallets
        FROM _recon.run_stage AS s WHERE s.run_id = p_run GROUP BY s.check_name
    )
    UPDATE _recon.run_stage AS s
    SET severity = CASE
        WHEN pc.wallets >= c.critical_wallets THEN 'CRITICAL'
        WHEN pc.wallets >= c.high_wallets THEN 'HIGH'
        WHEN s.cause IN ('invalid_balance', 'invalid_amount', 'unknown_wallet',
                         'unmapped_entry_type') THEN 'HIGH'
        -- the low_limit of the finding's currency, else "*": none (no limit given for it,
        -- or the currency unknown) is never LOW
        WHEN s.difference IS NULL
            OR abs(s.difference) > _recon.currency_amount(c.low_limit, s.currency)
            IS NOT FALSE THEN 'MEDIUM'
        ELSE 'LOW'
    END
    FROM per_check AS pc
    JOIN _recon.check_def AS c ON c.name = pc.check_name
    WHERE s.run_id = p_run AND pc.check_name = s.check_name;

    -- A pattern: pattern_wallets wallets sharing one shown cause (for the kinds whose cause is
    -- an explanation, not their definition), or one hour of posting: a UTC hour
    -- (_recon.posting_hour), so the session's TimeZone changes nothing.
    WITH per_cause AS (
        SELECT s.check_name, s.cause,
               count(DISTINCT COALESCE(s.wallet_key, s.finding_key)) AS wallets
        FROM _recon.run_stage AS s
        JOIN _recon.check_def AS c ON c.name = s.check_name
        WHERE s.run_id = p_run AND s.cause IS NOT NULL
          AND c.kind = ANY (v_pattern)
        GROUP BY s.check_name, s.cause
    ), per_hour AS (
        -- A custom check's details are the user's: its posted_at is not trusted to be a time.
        SELECT s.check_name,
               _recon.posting_hour(CASE WHEN c.kind <> ALL (v_user_query)
                                        THEN s.details ->> 'posted_at' END) AS hour,
               count(DISTINCT COALESCE(s.wallet_key, s.finding_key)) AS wallets
        FROM _recon.run_stage AS s
        JOIN _recon.check_def AS c ON c.name = s.check_name AND c.kind <> ALL (v_user_query)
        WHERE s.run_id = p_run AND s.details ? 'posted_at'
        GROUP BY 1, 2
    )
    UPDATE _recon.run_stage AS s
    SET severity = 'CRITICAL'
    FROM _recon.check_def AS c
    WHERE s.run_id = p_run AND c.name = s.check_name AND s.severity <> 'CRITICAL'
      AND (EXISTS (SELECT FROM per_cause AS p
                   WHERE p.check_name = s.check_name AND p.cause = s.cause
                     AND p.wallets >= c.pattern_wallets)
           OR EXISTS (SELECT FROM per_hour AS h
                      WHERE h.check_name = s.check_name AND h.wallets >= c.pattern_wallets
                        AND h.hour = _recon.posting_hour(CASE WHEN c.kind <> ALL (v_user_query)
                                                              THEN s.details ->> 'posted_at' END)));

    -- A total explained by missing wallets is as severe as those missing wallets are.
    UPDATE _recon.run_stage AS s
    SET severity = e.severity
    FROM (
        SELECT o.check_name, (ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[
                   max(_recon.severity_rank(o.severity))] AS severity
        FROM _recon.run_stage AS o WHERE o.run_id = p_run GROUP BY o.check_name
    ) AS e
    WHERE s.run_id = p_run AND s.cause = 'missing_wallet'
      AND s.details -> 'evidence' ->> 'check' = e.check_name
      AND _recon.severity_rank(e.severity) > _recon.severity_rank(s.severity);
END;
$body$;

COMMENT ON FUNCTION _recon.run_severity(bigint) IS
'Phase 7 of recon.reconcile: classifies run p_run''s staged findings per the runbook: one '
'wallet LOW or MEDIUM by amount (the check''s low_limit in the finding''s currency), several '
'wallets HIGH, broken data at least HIGH; a systematic pattern (pattern_wallets wallets sharing '
'one shown cause, or one UTC hour of posting) CRITICAL; a total explained by missing wallets as '
'severe as they are.';

REVOKE EXECUTE ON FUNCTION _recon.run_severity(bigint) FROM PUBLIC;
