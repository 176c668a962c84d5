-- _recon.fix_counters(): a wallet's adjustments of several balance columns as one posting.
CREATE OR REPLACE FUNCTION _recon.fix_counters(p_stage bigint)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_nestloop = off
AS $body$
DECLARE
    v_group record;
    v_ledger _recon.ledger_source;
    v_writer _recon.writer;
    v_deltas jsonb;
    v_alone boolean;
    v_together boolean;
    v_rows integer := 0;
BEGIN
    -- 1. A wallet's balance findings on several columns of one ledger, each adjusted by a
    --    posting of its own column (balance and credit_balance, inflight columns), are one
    --    posting whose effects match them all: the first step posts it, the others are covered
    --    by it. Unless each column can be posted alone and the combination cannot: then they
    --    stay apart. When neither can be posted, the one posting is refused with the reason.
    FOR v_group IN
        SELECT s.wallet_source, s.wallet_key, s.ledger_source, min(s.step) AS first_step,
               array_agg(s.step ORDER BY s.step) AS steps
        FROM _recon.fix_stage AS s
        WHERE s.stage_id = p_stage AND s.kind = 'balance' AND s.status = 'planned'
          AND s.strategy = 'adjust' AND s.ledger_source IS NOT NULL
          AND jsonb_array_length(s.postings) = 1
        GROUP BY s.wallet_source, s.wallet_key, s.ledger_source
        HAVING count(*) > 1
        ORDER BY 1, 2, 3
    LOOP
        v_ledger := _recon.ledger(v_group.ledger_source);
        SELECT w.* INTO v_writer FROM _recon.writer AS w WHERE w.ledger_source = v_ledger.name;
        v_deltas := (SELECT jsonb_object_agg(d.key, d.value)
                     FROM _recon.fix_stage AS s,
                          jsonb_each(s.postings -> 0 -> 'deltas') AS d
                     WHERE s.stage_id = p_stage AND s.step = ANY (v_group.steps));
        CONTINUE WHEN v_writer.ledger_source IS NULL OR (
            SELECT count(*) FROM _recon.fix_stage AS s,
                   jsonb_object_keys(s.postings -> 0 -> 'deltas') AS k
            WHERE s.stage_id = p_stage AND s.step = ANY (v_group.steps))
            <> (SELECT count(*) FROM jsonb_object_keys(v_deltas));
        v_together := _recon.fix_postable(v_ledger, v_writer, v_deltas);
        v_alone := NOT EXISTS (SELECT FROM _recon.fix_stage AS s
                               WHERE s.stage_id = p_stage AND s.step = ANY (v_group.steps)
                                 AND NOT _recon.fix_postable(v_ledger, v_writer,
                                                             s.postings -> 0 -> 'deltas'));
        CONTINUE WHEN v_alone AND NOT v_together;
        UPDATE _recon.fix_stage AS s
        SET postings = jsonb_build_array(jsonb_set(s.postings -> 0, '{deltas}', v_deltas)),
            -- the size of the one entry (5 for balance +5 with its counter +5)
            amount = (SELECT max(x.amount) FROM _recon.fix_stage AS x
                      WHERE x.stage_id = p_stage AND x.step = ANY (v_group.steps))
        WHERE s.stage_id = p_stage AND s.step = v_group.first_step;
        UPDATE _recon.fix_stage AS s
        SET status = 'covered', covered_by = v_group.first_step, postings = '[]', moves = '{}',
            amount = 0,
            note = format('repaired by step %s (one posting of %s)', v_group.first_step,
                          v_deltas)
        WHERE s.stage_id = p_stage AND s.step = ANY (v_group.steps)
          AND s.step <> v_group.first_step;
        v_rows := v_rows + 1;
    END LOOP;
    -- 2. On transfer rows whose rules keep monotonic counters, the row's other leg moves the
    --    offset wallet by its own rule (a debit counter where the wallet's leg moves a credit
    --    counter): each posting says so ("offset_deltas"), so that the plan shows, the toolkit
    --    moves and the verification expects that, not the opposite of the wallet's deltas.
    PERFORM _recon.fix_offset_legs(p_stage);
    RETURN v_rows;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_counters(bigint) IS
'Counter-aware repairs in a staged plan: a wallet''s adjustments of several balance columns of '
'one ledger (balance with credit_balance or debit_balance, inflight columns) become one posting '
'whose effects match them all (the first step posts it, the others are covered by it), unless '
'each column can be posted alone and the combination cannot; then records on every posting '
'what the other leg of a transfer row moves the offset wallet by (_recon.fix_offset_legs). '
'Returns how many postings it merged.';

REVOKE EXECUTE ON FUNCTION _recon.fix_counters(bigint) FROM PUBLIC;
