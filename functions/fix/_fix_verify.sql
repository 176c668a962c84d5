-- _recon.fix_verify(): after a repair, its checks must find exactly what they found before,
-- less what it repaired; otherwise RC307 and the whole call rolls back.
CREATE OR REPLACE FUNCTION _recon.fix_verify(p_stage bigint, p_pre jsonb)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_check _recon.check_def;
    v_now jsonb;
    v_bad text;
BEGIN
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c
                   WHERE p_pre -> 'checks' ? c.name ORDER BY c.name LOOP
        EXECUTE format('SELECT jsonb_object_agg(r.finding_key, r.difference) FROM (%s) AS r',
                       _recon.recheck_sql(v_check))
        INTO v_now
        USING ARRAY(SELECT jsonb_array_elements_text(p_pre -> 'keys' -> v_check.wallet_source));
        v_now := COALESCE(v_now, '{}');
        SELECT string_agg(x.what, '; ') INTO v_bad FROM (
            SELECT format('%s %s still found after step %s (%s): difference %s, was %s',
                          v_check.name, s.finding_key, s.step, s.strategy,
                          v_now ->> s.finding_key, s.difference) AS what
            FROM _recon.fix_stage AS s
            WHERE s.stage_id = p_stage AND s.check_name = v_check.name
              AND s.status IN ('applied', 'covered') AND s.strategy <> 'acknowledge'
              AND v_now ? s.finding_key
            UNION ALL
            SELECT format('%s %s: difference %s before, %s after', v_check.name, n.key,
                          COALESCE(p_pre -> 'checks' -> v_check.name ->> n.key, 'none'), n.value)
            FROM jsonb_each_text(v_now) AS n
            WHERE (p_pre -> 'checks' -> v_check.name ->> n.key)::numeric
                  IS DISTINCT FROM n.value::numeric
              AND NOT EXISTS (SELECT FROM _recon.fix_stage AS s
                              WHERE s.stage_id = p_stage AND s.check_name = v_check.name
                                AND s.finding_key = n.key AND s.status IN ('applied', 'covered')
                                AND s.strategy <> 'acknowledge')
              -- a restored entry stands at the end of the wallet's history: its running
              -- balance is the far side of the gap the lost entry left (docs/REPAIRS.md)
              AND NOT (v_check.kind = 'chain' AND EXISTS (
                  SELECT FROM _recon.fix_stage AS s
                  JOIN _recon.repair_entry AS e ON e.repair_id = s.repair_id
                  WHERE s.stage_id = p_stage AND s.strategy = 'restore'
                    AND s.status = 'applied' AND e.wallet_key = s.wallet_key
                    AND n.key = s.wallet_key || '/' || e.entry))
        ) AS x;
        IF v_bad IS NOT NULL THEN
            PERFORM _recon.fail(
                'RC307', 'the repair did not verify; nothing was applied',
                v_bad,
                'A writer or posting function did not post what the plan asked, or something '
                || 'else moved these wallets. Check the writer (recon.register_writer) and run '
                || 'the dry run again.');
        END IF;
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_verify(bigint, jsonb) IS
'Re-runs, after a repair and under its locks, every check recon.fix() ran before it for the '
'same wallets: each repaired finding must be gone, and nothing else may be new or changed '
'(but the running balance of an entry it restored, the far side of the lost entry''s gap). '
'Otherwise RC307 (the DETAIL lists what), and the whole call rolls back.';

REVOKE EXECUTE ON FUNCTION _recon.fix_verify(bigint, jsonb) FROM PUBLIC;
