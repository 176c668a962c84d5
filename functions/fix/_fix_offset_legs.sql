-- _recon.fix_offset_legs(): what the other leg of each transfer row moves the offset wallet by.
CREATE OR REPLACE FUNCTION _recon.fix_offset_legs(p_stage bigint)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_nestloop = off
AS $body$
DECLARE
    v_rows integer;
BEGIN
    -- On transfer rows with effects keyed on several columns, posted by an INSERT writer
    -- against an offset wallet, the row's other leg moves the offset wallet by the rule that
    -- leg matches (_recon.writer_rule_entry). Where that is not exactly the opposite of the
    -- wallet's deltas (monotonic counters), the posting carries it as "offset_deltas":
    -- _recon.fix_post moves the offset wallet by it, _recon.fix_assess shows it in
    -- stored_change and ledger_change, and the conservation check expects it.
    UPDATE _recon.fix_stage AS s
    SET postings = y.postings
    FROM (
        SELECT st.step,
               jsonb_agg(CASE WHEN r.entry ? 'offset_deltas'
                              THEN p.value || jsonb_build_object('offset_deltas',
                                                                 r.entry -> 'offset_deltas')
                              ELSE p.value - 'offset_deltas' END ORDER BY p.n) AS postings
        FROM _recon.fix_stage AS st
        JOIN _recon.ledger_source AS l ON l.name = st.ledger_source
        JOIN _recon.writer AS w ON w.ledger_source = l.name
        CROSS JOIN LATERAL jsonb_array_elements(st.postings) WITH ORDINALITY AS p (value, n)
        CROSS JOIN LATERAL (
            SELECT CASE WHEN CASE WHEN p.value ? 'offset_wallet' THEN p.value ->> 'offset_wallet'
                                  ELSE w.offset_wallet END IS NOT NULL
                        THEN _recon.writer_rule_entry(l, w, p.value -> 'deltas') END AS entry
        ) AS r
        WHERE st.stage_id = p_stage AND st.status = 'planned' AND w.kind = 'insert'
          AND l.kinds IS NOT NULL AND l.shape = 'transfer'
        GROUP BY st.step
    ) AS y
    WHERE s.stage_id = p_stage AND s.step = y.step;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_offset_legs(bigint) IS
'Records on every planned posting of a staged plan on rule-keyed transfer rows (INSERT writer, '
'offset wallet) what the row''s other leg moves the offset wallet by, as "offset_deltas", when '
'that is not exactly the opposite of the wallet''s deltas (monotonic credit/debit counters). '
'Returns how many steps it read.';

REVOKE EXECUTE ON FUNCTION _recon.fix_offset_legs(bigint) FROM PUBLIC;
