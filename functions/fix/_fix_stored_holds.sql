-- _recon.fix_stored_holds(): how much of what a plan posts the stored balances hold already.
CREATE OR REPLACE FUNCTION _recon.fix_stored_holds(p_stage bigint)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source;
    v_map jsonb;
    v_drift jsonb := '{}'::jsonb;
BEGIN
    -- A payment posted or a duplicate reversed moves the stored balance only by what it
    -- does not hold already. The wallet tells, as it is now under the lock, whatever the
    -- checks or their tolerance say: its stored balance less what all its ledgers add up
    -- to. A drift of exactly what this plan posts on that column: the stored balance holds
    -- it all; none: it holds none of it; anything else settled by a resync of the same
    -- wallet and column in the plan (stored := ledger after the postings); otherwise the
    -- wallet cannot be read, and is left alone.
    FOR v_ws IN SELECT w.* FROM _recon.wallet_source AS w
                WHERE w.name IN (SELECT s.wallet_source FROM _recon.fix_stage AS s
                                 WHERE s.stage_id = p_stage AND s.status = 'planned'
                                   AND s.strategy IN ('post_missing', 'reverse', 'resolve'))
                ORDER BY w.name LOOP
        v_map := _recon.fix_measure(
            v_ws.name,
            ARRAY(SELECT DISTINCT s.wallet_key FROM _recon.fix_stage AS s
                  WHERE s.stage_id = p_stage AND s.status = 'planned'
                    AND s.wallet_source = v_ws.name
                    AND s.strategy IN ('post_missing', 'reverse', 'resolve')),
            ARRAY(SELECT l.name FROM _recon.ledger_source AS l
                  WHERE l.wallet_source = v_ws.name));
        -- {wallet: {column: stored less the sum of its ledgers}}; a running balance
        -- posted for these wallets (_recon.fix_post) continues from it too
        v_drift := v_drift || jsonb_build_object(v_ws.name, COALESCE((
            SELECT jsonb_object_agg(m.key, (
                SELECT jsonb_object_agg(st.key, st.value::numeric - COALESCE((
                    SELECT sum((l.value ->> st.key)::numeric)
                    FROM jsonb_each(m.value -> 'ledger') AS l), 0))
                FROM jsonb_each_text(m.value -> 'stored') AS st))
            FROM jsonb_each(v_map) AS m), '{}'));
        UPDATE _recon.fix_stage AS s
        SET moves = d.moves,
            status = CASE WHEN d.unknown IS NOT NULL THEN 'skipped' ELSE s.status END,
            note = COALESCE(d.unknown, s.note),
            evidence = COALESCE(s.evidence, '{}') || d.evidence
        FROM (
            SELECT y.step,
                   COALESCE(jsonb_object_agg(y.col, y.delta)
                                FILTER (WHERE y.verdict <> 'holds'), '{}') AS moves,
                   min(format('cannot tell whether the stored balance holds it: %s drifts '
                              || 'by %s from the ledger, this plan posts %s on it', y.col,
                              y.drift, y.posted)) FILTER (WHERE y.verdict = 'unknown')
                       AS unknown,
                   jsonb_object_agg(y.col, jsonb_build_object(
                       'stored_holds', CASE y.verdict WHEN 'holds' THEN 'all'
                                                      WHEN 'none' THEN 'none'
                                                      WHEN 'settled' THEN 'settled by resync'
                                                      ELSE 'unknown' END,
                       'wallet_drift', y.drift, 'posted', y.posted)) AS evidence
            FROM (
                SELECT z.*,
                       CASE WHEN z.drift = z.posted THEN 'holds'
                            WHEN z.drift = 0 THEN 'none'
                            WHEN z.resync THEN 'settled'
                            ELSE 'unknown' END AS verdict
                FROM (
                    SELECT x.step, x.col, x.delta,
                           (v_drift -> v_ws.name -> x.wallet_key ->> x.col)::numeric
                               AS drift,
                           sum(x.delta) OVER (PARTITION BY x.wallet_key, x.col) AS posted,
                           EXISTS (SELECT FROM _recon.fix_stage AS r
                                   JOIN _recon.finding AS f ON f.id = r.finding_id
                                   WHERE r.stage_id = p_stage AND r.status = 'planned'
                                     AND r.strategy = 'resync'
                                     AND r.wallet_source = v_ws.name
                                     AND r.wallet_key = x.wallet_key
                                     AND f.details ->> 'column' = x.col) AS resync
                    FROM (
                        SELECT s.step, s.wallet_key, d.key AS col,
                               sum(d.value::numeric) AS delta
                        FROM _recon.fix_stage AS s,
                             jsonb_array_elements(s.postings) AS e,
                             jsonb_each_text(e.value -> 'deltas') AS d
                        WHERE s.stage_id = p_stage AND s.status = 'planned'
                          AND s.wallet_source = v_ws.name
                          AND s.strategy IN ('post_missing', 'reverse', 'resolve')
                        GROUP BY s.step, s.wallet_key, d.key
                    ) AS x
                ) AS z
            ) AS y
            GROUP BY y.step
        ) AS d
        WHERE s.stage_id = p_stage AND s.step = d.step;
    END LOOP;
    RETURN v_drift;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_stored_holds(bigint) IS
'Phase 2 of _recon.fix_assess, for the steps that post (post_missing, reverse, resolve): '
'measures each wallet''s stored balance less what all its ledgers add up to, and from it sets '
'each step''s moves (what the stored balance must still move by), its evidence, or skips a step '
'when that cannot be told. Returns {wallet source: {wallet key: {column: drift}}}.';

REVOKE EXECUTE ON FUNCTION _recon.fix_stored_holds(bigint) FROM PUBLIC;
