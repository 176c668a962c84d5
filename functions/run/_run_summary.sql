-- _recon.run_summary(): the JSON summary of a run whose findings are merged.
CREATE OR REPLACE FUNCTION _recon.run_summary(
    p_run bigint, p_mode text, p_names text[], p_modes jsonb, p_new bigint, p_resolved bigint,
    p_acknowledged integer, p_started timestamptz, p_replica jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_summary jsonb;
    v_amounts jsonb;
BEGIN
    -- Amounts only per currency (_recon.run_amounts): never added across currencies, each
    -- sum of money once.
    v_amounts := _recon.run_amounts(p_run);
    SELECT jsonb_build_object(
        'run_id', p_run,
        'mode', p_mode,
        'status', CASE WHEN count(s.*) = 0 THEN 'synced' ELSE 'discrepancy' END,
        'findings', count(s.*),
        'wallets', count(DISTINCT s.wallet_key),
        'new', p_new,
        'resolved', p_resolved,
        'acknowledged', p_acknowledged,
        'max_severity', (ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[
            max(_recon.severity_rank(s.severity))],
        'by_currency', v_amounts -> 'by_currency',
        'by_severity', COALESCE((
            SELECT jsonb_object_agg(x.severity, jsonb_build_object('findings', x.n))
            FROM (SELECT y.severity, count(*) AS n
                  FROM _recon.run_stage AS y WHERE y.run_id = p_run GROUP BY y.severity) AS x
        ), '{}'),
        'by_check', (
            SELECT jsonb_object_agg(n.name, jsonb_build_object(
                'findings', COALESCE(x.n, 0), 'max_severity', x.max_severity,
                'by_currency', COALESCE(v_amounts -> 'by_check' -> n.name, '[]'::jsonb))
                -- a journal check's entries without a journal, when it declares them allowed
                || COALESCE((SELECT _recon.journal_skipped(c) FROM _recon.check_def AS c
                             WHERE c.name = n.name), '{}'::jsonb))
            FROM unnest(p_names) AS n (name)
            LEFT JOIN (SELECT y.check_name, count(*) AS n,
                              (ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[
                                  max(_recon.severity_rank(y.severity))] AS max_severity
                       FROM _recon.run_stage AS y WHERE y.run_id = p_run
                       GROUP BY y.check_name) AS x ON x.check_name = n.name
        ),
        'checks', to_jsonb(p_names),
        'runs', p_modes,
        'duration_ms', round(extract(epoch FROM clock_timestamp() - p_started) * 1000, 1)
    ) INTO v_summary
    FROM _recon.run_stage AS s WHERE s.run_id = p_run;
    v_summary := v_summary || jsonb_strip_nulls(jsonb_build_object('replica', p_replica - 'runs'));
    -- a guard whose trigger is disabled or missing guards nothing: said in every summary
    v_summary := v_summary || COALESCE((SELECT jsonb_build_object('guards_off', o)
                                        FROM _recon.guards_off() AS o
                                        WHERE jsonb_array_length(o) > 0), '{}');
    RETURN v_summary;
END;
$body$;

COMMENT ON FUNCTION _recon.run_summary(
    bigint, text, text[], jsonb, bigint, bigint, integer, timestamptz, jsonb
) IS
'Phase 9 of recon.reconcile: the summary of run p_run from its staged findings: status, counts '
'(new p_new, resolved p_resolved, acknowledged p_acknowledged), max severity, amounts per '
'currency only (_recon.run_amounts), by severity and by check, how each check ran (p_modes), '
'the duration since p_started, what a standby read (p_replica), and the guards that are off.';

REVOKE EXECUTE ON FUNCTION _recon.run_summary(
    bigint, text, text[], jsonb, bigint, bigint, integer, timestamptz, jsonb
) FROM PUBLIC;
