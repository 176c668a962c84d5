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
    v_chain text;
    v_balance_check text;
    v_running jsonb := '{}'::jsonb;
    v_offset_moves jsonb := '{}'::jsonb;
    v_request jsonb;
    v_side jsonb;
    v_entry jsonb;
    v_result jsonb;
    v_id text;
    v_insert text;
    v_sides jsonb;
    v_reference_sql text;
    v_main_key text;
    v_first jsonb;
    v_main_value numeric;
    v_value numeric;
    v_description_sql text;
    v_journal_sql text;
    v_key text;
    v_col text;
    v_val text;
    v_after_sql text;
    v_afters jsonb := '{}'::jsonb;  -- ledger/wallet -> its running balances per column
    v_writing text;  -- what the writer is posting while it runs (kept through an exception)
BEGIN
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
            -- The running balance follows one column: the chain check's, else the first moved.
            v_chain := NULL;
            IF v_ledger.balance_after_column IS NOT NULL THEN
                v_chain := COALESCE(
                    (SELECT c.options ->> 'column' FROM _recon.check_def AS c
                     WHERE c.kind = 'chain' AND c.ledger_source = v_ledger.name
                     ORDER BY c.name LIMIT 1),
                    (SELECT b FROM unnest((_recon.wallet(v_ledger.wallet_source)).balance_columns)
                         AS b
                     WHERE v_ledger.effects ? b LIMIT 1));
            END IF;
            SELECT c.name INTO v_balance_check FROM _recon.check_def AS c
            WHERE c.kind = 'balance' AND c.ledger_source = v_ledger.name
            ORDER BY c.name LIMIT 1;
            -- the last running balances of a wallet, per column (a per-column "balance_after")
            v_after_sql := CASE WHEN v_ledger.after_columns IS NOT NULL THEN format(
                'SELECT jsonb_build_object(%s) FROM %s AS l WHERE l.wallet = $1::%s ORDER BY %s '
                || 'LIMIT 1',
                (SELECT string_agg(format('%L, l.%I', a.key, 'after_' || array_position(
                                       (_recon.wallet(v_ledger.wallet_source)).balance_columns,
                                       a.key::name)), ', ')
                 FROM jsonb_each(v_ledger.after_columns) AS a),
                _recon.legs_sql(v_ledger),
                _recon.column_type_sql((_recon.wallet(v_ledger.wallet_source)).relid,
                                       (_recon.wallet(v_ledger.wallet_source)).key_column),
                _recon.entry_order_sql(_recon.legs(v_ledger), 'l', 'DESC')) END;
            v_insert := CASE WHEN v_writer.kind = 'insert'
                             THEN _recon.writer_insert_sql(v_writer) END;
            v_reference_sql := 'SELECT ' || _recon.template_sql(v_writer.reference, 'reference');
            v_description_sql := 'SELECT '
                || _recon.template_sql(v_writer.description, 'description');
            v_journal_sql := CASE WHEN v_writer.journal IS NOT NULL THEN 'SELECT '
                || _recon.template_sql(v_writer.journal, 'journal') END;
        END IF;
        FOR v_posting IN SELECT p.value FROM jsonb_array_elements(v_step.postings) AS p LOOP
            -- a reversal goes against the offset wallet of the entry it reverses, which the
            -- writer may since have changed
            v_request := v_posting || jsonb_build_object(
                'ledger', v_ledger.name, 'strategy', v_step.strategy, 'ticket', p_ticket,
                'reason', p_reason, 'fix', p_fix, 'step', v_step.step,
                'date', to_char(now(), 'YYYYMMDD'), 'check', v_step.check_name,
                'finding', v_step.finding_id,
                'offset_wallet', CASE WHEN v_posting ? 'offset_wallet'
                                      THEN v_posting -> 'offset_wallet'
                                      ELSE to_jsonb(v_writer.offset_wallet) END);
            IF NOT v_request ? 'reference' THEN
                EXECUTE v_reference_sql INTO v_val USING v_request;
                v_request := v_request || jsonb_build_object('reference', v_val);
            END IF;
            EXECUTE v_description_sql INTO v_val USING v_request;
            v_request := v_request || jsonb_build_object('description', v_val);
            -- a restored entry goes into the journal it was lost from
            IF v_writer.journal IS NOT NULL AND NOT v_posting ? 'journal' THEN
                EXECUTE v_journal_sql INTO v_val USING v_request;
                v_request := v_request || jsonb_build_object('journal', v_val);
            END IF;
            -- The posting, and its other side on the offset wallet for a double-entry ledger.
            v_sides := jsonb_build_array(v_request);
            IF v_request ->> 'offset_wallet' IS NOT NULL THEN
                v_sides := v_sides || jsonb_build_array(v_request || jsonb_build_object(
                    'wallet', v_request ->> 'offset_wallet', 'side', 'offset',
                    -- the other leg of a transfer row as its rule moves it (counters), else
                    -- exactly the opposite
                    'deltas', COALESCE(v_request -> 'offset_deltas',
                                       (SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                                        FROM jsonb_each_text(v_request -> 'deltas') AS d))));
            END IF;
            FOR v_side IN SELECT e.value FROM jsonb_array_elements(v_sides) AS e LOOP
                IF v_writer.kind = 'insert' AND v_ledger.kinds IS NOT NULL THEN
                    -- effects keyed on several columns: the row that moves exactly these deltas
                    -- (its key values, and on transfer rows the other leg exactly the
                    -- opposite), or none; a transfer row's offset leg is that same row
                    v_entry := CASE WHEN v_side ->> 'side' = 'offset' AND v_ledger.shape <> 'entries'
                                    THEN '{}'::jsonb
                                    ELSE _recon.writer_rule_entry(v_ledger, v_writer,
                                                                  v_side -> 'deltas') END;
                    IF v_entry ? 'refused' THEN
                        PERFORM _recon.fail(
                            'RC306', format('ledger %s: %s', v_ledger.name, v_entry ->> 'refused'),
                            format('Step %s of the repair; nothing was applied.', v_step.step),
                            'Run the dry run again (it plans such a step manual); repair it by '
                            || 'hand, or acknowledge it.');
                    END IF;
                ELSE
                    v_entry := _recon.entry_for(v_ledger, v_side -> 'deltas', v_writer.entry_types);
                END IF;
                IF v_entry IS NULL THEN
                    PERFORM _recon.fail(
                        'RC306', format('no entry type of ledger %s moves %s', v_ledger.name,
                                        v_side -> 'deltas'),
                        format('Step %s of the repair needs one; nothing was applied.',
                               v_step.step),
                        'Register an entry type with that effect, or use another strategy.');
                END IF;
                v_side := v_side || v_entry;
                IF v_chain IS NOT NULL AND v_side -> 'deltas' ? v_chain THEN
                    -- The ledger's running balance of this wallet: its stored balance less the
                    -- drift its balance check saw under the lock, plus what this fix posted.
                    -- Kept for the wallet in hand (a plan's steps come wallet by wallet) and
                    -- for the few offset wallets: never a map of every wallet, rebuilt per entry.
                    v_key := v_ledger.name || '/' || (v_side ->> 'wallet');
                    IF v_side ->> 'side' = 'offset' THEN
                        v_value := (v_running ->> v_key)::numeric;
                    ELSIF v_key IS DISTINCT FROM v_main_key THEN
                        v_main_key := v_key;
                        v_value := NULL;
                    ELSE
                        v_value := v_main_value;
                    END IF;
                    IF v_value IS NULL THEN
                        v_value := COALESCE(
                            (v_first -> (v_ledger.wallet_source || '/' || (v_side ->> 'wallet'))
                             ->> v_chain)::numeric,
                            _recon.fix_wallet_value(v_ledger.wallet_source, v_side ->> 'wallet',
                                                    v_chain))
                            - COALESCE(
                                -- the wallet's drift as read under the lock where the plan
                                -- read it (payments, reversals), else as its check found it
                                (p_pre -> 'drift' -> v_ledger.wallet_source -> (v_side ->> 'wallet')
                                 ->> v_chain)::numeric,
                                (p_pre -> 'checks' -> v_balance_check
                                 ->> ((v_side ->> 'wallet') || '/' || v_chain))::numeric, 0);
                    END IF;
                    v_value := v_value + (v_side -> 'deltas' ->> v_chain)::numeric;
                    IF v_side ->> 'side' = 'offset' THEN
                        v_running := v_running || jsonb_build_object(v_key, v_value);
                    ELSE
                        v_main_value := v_value;
                    END IF;
                    v_side := v_side || jsonb_build_object('balance_after', v_value);
                END IF;
                IF v_ledger.after_columns IS NOT NULL THEN
                    -- A running balance per column: the wallet's last entry's (in entry order,
                    -- as the chain check reads them, under the fix's lock), else 0, plus this
                    -- entry's effect; then what this fix posted before on the same wallet.
                    v_key := v_ledger.name || '/' || (v_side ->> 'wallet');
                    IF NOT v_afters ? v_key THEN
                        EXECUTE v_after_sql INTO v_result USING v_side ->> 'wallet';
                        v_afters := v_afters || jsonb_build_object(v_key, COALESCE(v_result, (
                            SELECT jsonb_object_agg(a.key, 0)
                            FROM jsonb_each(v_ledger.after_columns) AS a)));
                    END IF;
                    v_afters := v_afters || jsonb_build_object(v_key, (
                        SELECT jsonb_object_agg(a.key, COALESCE(a.value::numeric, 0)
                                                       + COALESCE((v_side -> 'deltas'
                                                                   ->> a.key)::numeric, 0))
                        FROM jsonb_each_text(v_afters -> v_key) AS a));
                    v_side := v_side || jsonb_build_object('after', v_afters -> v_key);
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
                    EXECUTE v_insert INTO v_id USING v_side;
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
                    IF jsonb_typeof(CASE jsonb_typeof(v_result) WHEN 'object'
                                         THEN v_result -> 'entries' ELSE v_result END)
                       IS DISTINCT FROM 'array'
                       OR jsonb_array_length(CASE jsonb_typeof(v_result) WHEN 'object'
                                                  THEN v_result -> 'entries'
                                                  ELSE v_result END) = 0 THEN
                        PERFORM _recon.fail(
                            'RC306', format('posting function %s returned no entries',
                                            v_writer.posting_function),
                            format('It returned %s for step %s; nothing was applied.',
                                   COALESCE(v_result::text, 'NULL'), v_step.step),
                            'A posting function returns the ids of the entries it wrote: a JSON '
                            || 'array, or {"entries": [...]}.');
                    END IF;
                    INSERT INTO _recon.repair_entry (repair_id, ledger_source, wallet_key, entry,
                                                     deltas, posting)
                    SELECT v_step.repair_id, v_ledger.name, v_side ->> 'wallet', e.value, 
                           v_side -> 'deltas', v_side
                    FROM jsonb_array_elements_text(CASE jsonb_typeof(v_result)
                        WHEN 'array' THEN v_result
                        WHEN 'object' THEN COALESCE(v_result -> 'entries', '[]')
                        ELSE '[]' END) AS e;
                END IF;
                IF v_side ->> 'side' = 'offset' THEN
                    FOR v_col, v_val IN SELECT d.key, d.value FROM jsonb_each_text(v_side -> 'deltas') AS d
                    LOOP
                        v_offset_moves := jsonb_set(v_offset_moves,
                            ARRAY[v_ledger.wallet_source],
                            COALESCE(v_offset_moves -> v_ledger.wallet_source, '{}'));
                        v_offset_moves := jsonb_set(v_offset_moves,
                            ARRAY[v_ledger.wallet_source, v_side ->> 'wallet'],
                            COALESCE(v_offset_moves -> v_ledger.wallet_source
                                     -> (v_side ->> 'wallet'), '{}'));
                        v_offset_moves := jsonb_set(v_offset_moves,
                            ARRAY[v_ledger.wallet_source, v_side ->> 'wallet', v_col],
                            to_jsonb(COALESCE((v_offset_moves -> v_ledger.wallet_source
                                               -> (v_side ->> 'wallet') ->> v_col)::numeric, 0)
                                     + v_val::numeric));
                    END LOOP;
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
            || 'its columns and templates give, or its posting function.');
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
