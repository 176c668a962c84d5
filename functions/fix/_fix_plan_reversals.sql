-- _recon.fix_plan_reversals(): each duplicate to reverse, entry by entry, as read from its ledger.
CREATE OR REPLACE FUNCTION _recon.fix_plan_reversals(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- as _recon.fix_plan: joins over the stage are hashed, never nested loops
SET enable_nestloop = off
AS $body$
DECLARE
    v_check _recon.check_def;
    v_ledger _recon.ledger_source;
    v_wallet _recon.wallet_source;
    v_effects text;
    v_entries jsonb;
BEGIN
    -- A duplicate is reversed entry by entry: every posting after the first, each by its
    -- own compensating entry, read from the ledger for its effects. The toolkit records the
    -- reversal (_recon.reversal); the entry is referenced REV-<entry> where the reference
    -- column can hold it, else by the writer's reference template.
    FOR v_check IN SELECT DISTINCT c.* FROM _recon.check_def AS c
                   JOIN _recon.fix_stage AS s ON s.check_name = c.name
                   WHERE s.stage_id = p_stage AND s.kind = 'duplicate' AND s.status = 'planned'
                     AND s.strategy = 'reverse'
    LOOP
        v_ledger := _recon.ledger(v_check.ledger_source);
        v_wallet := _recon.wallet(v_ledger.wallet_source);
        SELECT string_agg(format('%L, -(%s)', b, _recon.effect_sql(_recon.legs(v_ledger), b,
                                                                    'l')), ', ')
        INTO v_effects
        FROM unnest(v_wallet.balance_columns) AS b WHERE v_ledger.effects ? b;
        -- The ledger's read: each duplicate entry's legs on the steps' wallets, with their
        -- effects (_recon.fix_read: on a standby when recon.replica_fix plans).
        v_entries := _recon.fix_read(format($q$
            SELECT COALESCE(jsonb_agg(jsonb_build_object(
                       'entry', (%3$s)::text, 'wallet', l.wallet::text,
                       'deltas', jsonb_build_object(%1$s))), '[]')
            FROM %2$s AS l
            WHERE (%3$s)::text = ANY ($1) AND l.wallet::text = ANY ($2)$q$,
            v_effects, _recon.legs_sql(v_ledger),
            _recon.entry_name_sql(_recon.legs(v_ledger), 'l')),
            ARRAY(SELECT x.entry FROM _recon.fix_stage AS s
                  JOIN _recon.finding AS f ON f.id = s.finding_id
                  CROSS JOIN LATERAL jsonb_array_elements_text(
                      CASE WHEN jsonb_typeof(f.details -> 'entries') = 'array'
                           THEN f.details -> 'entries' END) AS x (entry)
                  WHERE s.stage_id = p_stage AND s.check_name = v_check.name
                    AND s.status = 'planned' AND s.strategy = 'reverse'),
            ARRAY(SELECT s.wallet_key FROM _recon.fix_stage AS s
                  WHERE s.stage_id = p_stage AND s.check_name = v_check.name
                    AND s.status = 'planned' AND s.strategy = 'reverse'));
        EXECUTE $q$
            UPDATE _recon.fix_stage AS s
            SET postings = y.postings,
                moves = CASE WHEN y.kinds > 1 THEN '{}'::jsonb ELSE y.moves END,
                status = CASE WHEN y.kinds > 1 THEN 'manual' ELSE s.status END,
                note = CASE WHEN y.kinds > 1 THEN format(
                    'the postings of reference %s moved different amounts: a retry repeats its '
                    || 'amount, partial captures or separate payments under one reference do '
                    || 'not; reverse the duplicates by hand, or acknowledge',
                    y.reference) ELSE s.note END
            FROM (
                SELECT e.step,
                       -- the effects of the postings: more than one, and no retry shows
                       count(DISTINCT e.deltas) AS kinds, min(e.reference) AS reference,
                       jsonb_agg(jsonb_build_object(
                           'wallet', e.wallet_key, 'deltas', e.deltas, 'purpose', 'reversal',
                           'entry', e.entry) || jsonb_strip_nulls(jsonb_build_object(
                               'reference', _recon.reversal_reference($3, e.entry)))
                           ORDER BY e.n) FILTER (WHERE e.n > 1) AS postings,
                       (SELECT jsonb_object_agg(d.key, d.total) FROM (
                            SELECT m.key, sum(m.value::numeric) AS total
                            FROM jsonb_array_elements(
                                jsonb_agg(e.deltas) FILTER (WHERE e.n > 1)) AS a (v),
                                 jsonb_each_text(a.v) AS m
                            GROUP BY m.key) AS d) AS moves
                FROM (
                    SELECT s.step, s.wallet_key, x.entry, x.n, l.deltas,
                           f.details ->> 'reference' AS reference
                    FROM _recon.fix_stage AS s
                    JOIN _recon.finding AS f ON f.id = s.finding_id
                    -- a duplicate finding's entries are an array; other findings' "entries"
                    -- (a balance finding's count) must never reach the function, whatever
                    -- order the planner joins in
                    CROSS JOIN LATERAL jsonb_array_elements_text(
                        CASE WHEN jsonb_typeof(f.details -> 'entries') = 'array'
                             THEN f.details -> 'entries' END)
                        WITH ORDINALITY AS x (entry, n)
                    JOIN jsonb_to_recordset($4) AS l (entry text, wallet text, deltas jsonb)
                        ON l.entry = x.entry AND l.wallet = s.wallet_key
                    WHERE s.stage_id = $1 AND s.check_name = $2 AND s.status = 'planned'
                      AND s.strategy = 'reverse'
                ) AS e
                GROUP BY e.step
            ) AS y
            WHERE s.stage_id = $1 AND s.step = y.step$q$
        USING p_stage, v_check.name, v_ledger.name, v_entries;
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_plan_reversals(bigint) IS
'Phase 2 of _recon.fix_plan: a duplicate finding to reverse gets one compensating posting per '
'entry after the first, each with the opposite of that entry''s effects as read from the '
'ledger, referenced by _recon.reversal_reference; its moves are their sum. Postings of '
'different effects (partial captures of 30 and 70) are no retry: the step is manual.';

REVOKE EXECUTE ON FUNCTION _recon.fix_plan_reversals(bigint) FROM PUBLIC;
