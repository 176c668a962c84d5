-- _recon.fix_post(): post the entries of a plan's applied steps through the registered writers.
CREATE OR REPLACE FUNCTION _recon.fix_post(
    p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_pre jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_step _recon.fix_stage;
    v_posting jsonb;
    v_writer _recon.writer;
    v_ledger _recon.ledger_source;
    v_sql jsonb;  -- what the ledger needs (_recon.fix_post_sql)
    v_running jsonb := '{}'::jsonb;  -- running balances of the wallet in hand and offsets
    v_offset_moves jsonb := '{}'::jsonb;
    v_side jsonb;
    v_result jsonb;
    v_id text;
    v_first jsonb;
    v_afters jsonb := '{}'::jsonb;  -- ledger/wallet -> its running balances per column
    v_writing text;  -- what the writer is posting while it runs (kept through an exception)
BEGIN
    -- this block's subtransaction marks the row of the fix: every write of the postings has its
    -- transaction id or a later one (_recon.fix_foreign_writes reads it)
    UPDATE _recon.fix_active AS a SET fix_id = a.fix_id WHERE a.txid = pg_current_xact_id();
    -- each wallet's stored balances before its first step, looked up per entry below
    SELECT jsonb_object_agg(f.k, f.v) INTO v_first
    FROM (SELECT DISTINCT ON (s.wallet_source, s.wallet_key)
                 s.wallet_source || '/' || s.wallet_key AS k, s.stored_before AS v
          FROM _recon.fix_stage AS s
          WHERE s.stage_id = p_stage AND s.wallet_source IS NOT NULL AND s.wallet_key IS NOT NULL
          ORDER BY s.wallet_source, s.wallet_key, s.step) AS f;
    FOR v_step IN SELECT s.* FROM _recon.fix_stage AS s
                  WHERE s.stage_id = p_stage AND s.status = 'applied'
                    AND jsonb_array_length(s.postings) > 0
                  ORDER BY s.step LOOP
        -- What a ledger needs is worked out once per ledger, not once per step.
        IF v_ledger.name IS DISTINCT FROM v_step.ledger_source THEN
            SELECT w.* INTO v_writer FROM _recon.writer AS w
            WHERE w.ledger_source = v_step.ledger_source;
            v_ledger := _recon.ledger(v_step.ledger_source);
            v_sql := _recon.fix_post_sql(v_ledger, v_writer);
        END IF;
        FOR v_posting IN SELECT p.value FROM jsonb_array_elements(v_step.postings) AS p LOOP
            -- the request the writer gets, and its other side on the offset wallet
            FOR v_side IN SELECT e.value FROM jsonb_array_elements(_recon.fix_post_sides(
                              v_step, v_posting, v_ledger, v_writer, p_fix, p_ticket, p_reason,
                              v_sql)) AS e LOOP
                v_side := _recon.fix_post_entry(v_side, v_ledger, v_writer, v_step.step);
                IF v_sql ->> 'chain' IS NOT NULL AND v_side -> 'deltas' ? (v_sql ->> 'chain') THEN
                    SELECT r.p_side, r.p_state INTO v_side, v_running
                    FROM _recon.fix_post_running(v_side, v_running, v_ledger, v_sql ->> 'chain',
                                                 v_sql ->> 'balance_check', v_first, p_pre) AS r;
                END IF;
                IF v_ledger.after_columns IS NOT NULL THEN
                    SELECT r.p_side, r.p_afters INTO v_side, v_afters
                    FROM _recon.fix_post_after(v_side, v_afters, v_ledger, v_sql ->> 'after') AS r;
                END IF;
                v_writing := format('step %s, wallet %s', v_step.step, v_side ->> 'wallet');
                IF v_writer.kind = 'insert' AND v_side ->> 'side' = 'offset'
                    AND v_ledger.shape = 'transfer' THEN
                    -- the posting's one transfer row moved the offset wallet too
                    v_writing := NULL;
                    INSERT INTO _recon.repair_entry (repair_id, ledger_source, wallet_key, entry,
                                                     deltas, posting)
                    VALUES (v_step.repair_id, v_ledger.name, v_side ->> 'wallet', v_id,
                            v_side -> 'deltas', v_side);
                ELSIF v_writer.kind = 'insert' THEN
                    EXECUTE v_sql ->> 'insert' INTO v_id USING v_side;
                    v_writing := NULL;
                    INSERT INTO _recon.repair_entry (repair_id, ledger_source, wallet_key, entry,
                                                     deltas, posting)
                    VALUES (v_step.repair_id, v_ledger.name, v_side ->> 'wallet', v_id,
                            v_side -> 'deltas', v_side);
                ELSIF v_side ->> 'side' IS NULL THEN
                    -- A posting function posts both sides itself; it returns the entries.
                    IF v_writer.options @> '{"moves_balances": true}' THEN
                        -- a ledger-first writer also moves the stored balances: the toolkit
                        -- moves only what the plan asks beyond that (_recon.fix_post_first)
                        v_result := _recon.fix_post_first(v_ledger, v_writer, v_side);
                        v_offset_moves := _recon.fix_moves_less(
                            v_offset_moves, v_ledger.wallet_source, v_result -> 'moved');
                        v_result := v_result -> 'result';
                    ELSE
                        EXECUTE format('SELECT %s($1)', v_writer.posting_function::regproc)
                        INTO v_result USING v_side;
                    END IF;
                    v_writing := NULL;
                    PERFORM _recon.fix_post_function_entries(v_step, v_ledger.name, v_writer,
                                                             v_side, v_result);
                END IF;
                IF v_side ->> 'side' = 'offset' THEN
                    v_offset_moves := _recon.fix_moves_more(
                        v_offset_moves, v_ledger.wallet_source, v_side ->> 'wallet',
                        v_side -> 'deltas');
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
    PERFORM _recon.fix_reversals(p_stage);  -- what the reversals compensated, for the checks
    RETURN v_offset_moves;
EXCEPTION WHEN OTHERS THEN
    -- The writer's INSERT or posting function failed (a value its column cannot take, a
    -- constraint or an error of its own): a bad writer, said with the toolkit's code. Anything
    -- else, and a wallet-recon code, a missing privilege, a lock timeout, a serialization
    -- failure or deadlock, a cancel or statement timeout, a lost connection, exhausted resources
    -- or an internal error from inside the writer, goes through as it is: those are not the
    -- writer's fault. One block for the whole posting, never one per entry.
    IF v_writing IS NOT NULL AND SQLSTATE !~ '^(RC|08|25|40|53|54|57|58|XX)'
        AND SQLSTATE NOT IN ('42501', '55P03', '55006') THEN
        PERFORM _recon.fail(
            'RC305', format('the writer of ledger %s failed at %s; nothing was applied',
                            v_ledger.name, v_writing),
            format('%s: %s', SQLSTATE, SQLERRM),
            'Check the writer (SELECT * FROM _recon.writer; recon.register_writer): the values '
            || 'its columns and templates give, or its posting function; a trigger on the '
            || 'ledger table runs under search_path = pg_catalog, pg_temp (schema-qualify its '
            || 'names, or ALTER FUNCTION ... SET search_path).');
    END IF;
    RAISE;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_post(bigint, bigint, text, text, jsonb) IS
'Posts the entries of a plan''s applied steps, in step order, through each ledger''s writer: '
'the entry type or direction that realises each posting''s deltas (on effects keyed on several '
'columns and an INSERT writer, the rule row _recon.writer_rule_entry proves), its reference, '
'description and journal from the writer''s templates, the running balance where the ledger '
'keeps one (per column: "after"), and '
'the other side on the offset wallet of a double-entry writer; records every entry in '
'_recon.repair_entry, and the entries reversals compensated in _recon.reversal '
'(_recon.fix_reversals). A ledger-first writer posts through _recon.fix_post_first. Returns the '
'moves _recon.fix_move adds besides the steps'' own: the offset wallets'', less what a '
'ledger-first writer moved: {source: {wallet: {column: delta}}}. '
'RC305 when the writer''s INSERT or posting function fails.';

REVOKE EXECUTE ON FUNCTION _recon.fix_post(bigint, bigint, text, text, jsonb) FROM PUBLIC;
