-- _recon.fix_step_changes(): what each step changes, stored and in the ledger.
CREATE OR REPLACE FUNCTION _recon.fix_step_changes(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- 6. What each step changes, in its currency (step 4): the stored balances (the wallet's,
    --    and the offset wallet's of a double-entry posting) and the ledger's effects (both
    --    sides), per column. recon.fix() checks after applying that each currency's totals moved by
    --    exactly these (_recon.fix_conserve).
    UPDATE _recon.fix_stage AS s
    SET stored_change = COALESCE((
            SELECT jsonb_object_agg(m.col, m.total) FROM (
                SELECT x.key AS col, sum(x.value::numeric) AS total
                FROM (SELECT d.key, d.value FROM jsonb_each_text(
                          CASE WHEN s.status IN ('planned', 'covered', 'applied') THEN s.moves
                               ELSE '{}' END) AS d
                      UNION ALL
                      SELECT d.key, d.value
                      FROM jsonb_array_elements(s.postings) AS e,
                           jsonb_each_text(_recon.fix_offset_deltas(e.value)) AS d
                      WHERE s.status IN ('planned', 'applied')
                        AND CASE WHEN e.value ? 'offset_wallet' THEN e.value ->> 'offset_wallet'
                                 ELSE w.offset_wallet END IS NOT NULL) AS x
                GROUP BY x.key) AS m WHERE m.total <> 0), '{}'),
        ledger_change = COALESCE((
            SELECT jsonb_object_agg(m.col, m.total) FROM (
                SELECT x.key AS col, sum(x.value::numeric) AS total
                FROM (SELECT d.key, d.value
                      FROM jsonb_array_elements(s.postings) AS e,
                           jsonb_each_text(e.value -> 'deltas') AS d
                      WHERE s.status IN ('planned', 'applied')
                      UNION ALL  -- the offset wallet's side: its own entry, or the row's leg
                      SELECT d.key, d.value
                      FROM jsonb_array_elements(s.postings) AS e,
                           jsonb_each_text(_recon.fix_offset_deltas(e.value)) AS d
                      WHERE s.status IN ('planned', 'applied')
                        AND CASE WHEN e.value ? 'offset_wallet' THEN e.value ->> 'offset_wallet'
                                 ELSE w.offset_wallet END IS NOT NULL) AS x
                GROUP BY x.key) AS m), '{}')
    FROM _recon.fix_stage AS s0
    LEFT JOIN _recon.writer AS w ON w.ledger_source = s0.ledger_source
    WHERE s.stage_id = p_stage AND s0.stage_id = p_stage AND s0.step = s.step;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_step_changes(bigint) IS
'Phase 6 of _recon.fix_assess: fills each step''s stored_change (its wallet''s moves, and the '
'offset wallet''s side of a double-entry posting) and ledger_change (the effects of both '
'sides), per column, which recon.fix checks after applying (_recon.fix_conserve).';

REVOKE EXECUTE ON FUNCTION _recon.fix_step_changes(bigint) FROM PUBLIC;
