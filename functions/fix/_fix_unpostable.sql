-- _recon.fix_unpostable(): steps whose INSERT writer cannot post a row of exactly their effect.
CREATE OR REPLACE FUNCTION _recon.fix_unpostable(p_stage bigint)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_steps integer;
BEGIN
    -- On a ledger whose effects are keyed on several columns, an INSERT writer posts a row only
    -- when a rule it can match moves exactly the posting's deltas (and, on transfer rows, its
    -- other leg the offset wallet by exactly the opposite; on one-sided rows the offset entry
    -- is a row of its own, judged the same way). A rule that moves several columns where the
    -- step moves one (Blnk's balance with its credit counter) is never posted: a person
    -- decides (counters repaired together: issue 16).
    UPDATE _recon.fix_stage AS s
    SET status = 'manual', moves = '{}',
        note = format('ledger %s: %s; repair by hand, or acknowledge', s.ledger_source, u.why)
    FROM (
        SELECT x.step, (array_agg(x.why ORDER BY x.n, x.o))[1] AS why
        FROM (
            SELECT st.step, p.n, d.o, e.refusal ->> 'refused' AS why
            FROM _recon.fix_stage AS st
            JOIN _recon.ledger_source AS l ON l.name = st.ledger_source
            JOIN _recon.writer AS w ON w.ledger_source = l.name
            CROSS JOIN LATERAL jsonb_array_elements(st.postings) WITH ORDINALITY AS p (value, n)
            CROSS JOIN LATERAL (
                SELECT 1 AS o, p.value -> 'deltas' AS deltas
                UNION ALL  -- the offset wallet's own entry of a one-sided double entry
                SELECT 2, (SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                        FROM jsonb_each_text(p.value -> 'deltas') AS d)
                WHERE l.shape = 'entries'
                  -- as _recon.fix_post reads it: the posting's own (a reversal's), else the
                  -- writer's
                  AND CASE WHEN p.value ? 'offset_wallet' THEN p.value ->> 'offset_wallet'
                           ELSE w.offset_wallet END IS NOT NULL
            ) AS d
            CROSS JOIN LATERAL (
                SELECT _recon.writer_rule_entry(l, w, d.deltas) AS refusal
            ) AS e
            WHERE st.stage_id = p_stage AND st.status = 'planned' AND w.kind = 'insert'
              AND l.kinds IS NOT NULL AND e.refusal ? 'refused'
        ) AS x
        GROUP BY x.step
    ) AS u
    WHERE s.stage_id = p_stage AND s.step = u.step;
    GET DIAGNOSTICS v_steps = ROW_COUNT;
    -- A step that would write a float amount or balance: a person decides (RC320 applying).
    RETURN v_steps + _recon.fix_floats(p_stage, FALSE);
END;
$body$;

COMMENT ON FUNCTION _recon.fix_unpostable(bigint) IS
'Marks manual, with the reason, every planned step of a staged plan (recon.fix, '
'recon.reverse_fix) that an INSERT writer on effects keyed on several columns could not post '
'exactly (_recon.writer_rule_entry: no rule the row can match moves exactly its deltas, or the '
'other leg of the transfer row does not move the offset wallet by the opposite), and every '
'step that would write a float amount or balance (_recon.fix_floats). Returns how many.';

REVOKE EXECUTE ON FUNCTION _recon.fix_unpostable(bigint) FROM PUBLIC;
