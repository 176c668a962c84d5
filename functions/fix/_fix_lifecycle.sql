-- _recon.fix_lifecycle(): the entries that resolve a hold a lifecycle finding shows, on evidence.
CREATE OR REPLACE FUNCTION _recon.fix_lifecycle(p_stage bigint, p_recheck boolean)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_check _recon.check_def;
    v_ledger _recon.ledger_source;
    v_legs _recon.ledger_source;
    v_step _recon.fix_stage;
    v_hold text;
    v_terminal text[];
    v_release text;
    v_commit text;
    v_approved text[];
    v_canceled text[];
    v_status_sql text;
    v_legs_sql text;
    v_journal_type text;
    v_journal text;
    v_status text;
    v_entries jsonb;
    v_holds jsonb;
    v_res jsonb;
    v_want text;
    v_keep jsonb;
    v_postings jsonb;
    v_net jsonb;
    v_note text;
    v_verdict text;
    v_evidence jsonb;
    v_rows integer := 0;
BEGIN
    FOR v_check IN SELECT DISTINCT c.* FROM _recon.check_def AS c
                   JOIN _recon.fix_stage AS s ON s.check_name = c.name
                   WHERE s.stage_id = p_stage AND s.kind = 'lifecycle' AND s.strategy = 'resolve'
                     AND s.status = 'planned'
                   ORDER BY c.name LOOP
        v_ledger := _recon.ledger(v_check.options ->> 'ledger');
        v_legs := _recon.legs(v_ledger);
        v_legs_sql := _recon.legs_sql(v_ledger);
        v_hold := v_check.options ->> 'hold';
        v_terminal := ARRAY(SELECT jsonb_array_elements_text(v_check.options -> 'terminal'));
        -- the statuses that say which (Midaz's, seed 001's by default)
        v_approved := ARRAY(SELECT jsonb_array_elements_text(
                                COALESCE(v_check.options -> 'approved', '["APPROVED"]')));
        v_canceled := ARRAY(SELECT jsonb_array_elements_text(
                                COALESCE(v_check.options -> 'canceled', '["CANCELED"]')));
        -- The terminal that undoes the hold exactly releases it; the one other terminal commits
        -- it (a DEBIT from on_hold, a COMMIT). Either may be missing: then that repair is not
        -- made.
        v_release := (SELECT t FROM unnest(v_terminal) AS t
                      WHERE _recon.rule_effect(v_legs, t, 1) = _recon.rule_effect(v_legs, v_hold, -1)
                      LIMIT 1);
        v_commit := (SELECT min(t) FROM unnest(v_terminal) AS t
                     WHERE t IS DISTINCT FROM v_release HAVING count(*) = 1);
        v_journal_type := _recon.column_type_sql(v_ledger.relid, v_ledger.journal_column);
        -- The transaction's status: its row in the status table (kept FOR SHARE when
        -- re-checked under the wallets' locks, so that it cannot change before the repair
        -- commits), else the status of the journal's latest entry.
        IF v_check.options ? 'status_table' THEN
            v_status_sql := format('SELECT st.%I::text FROM %s AS st WHERE st.%I = $1::%s %s',
                                   v_check.options ->> 'status_column',
                                   _recon.resolve_table(v_check.options ->> 'status_table')::regclass,
                                   v_check.options ->> 'status_key', v_journal_type,
                                   CASE WHEN p_recheck THEN 'FOR SHARE' ELSE '' END);
        ELSIF v_legs.status_column IS NOT NULL THEN
            v_status_sql := format('SELECT l.%I::text FROM %s AS l WHERE l.%I = $1::%s ORDER BY %s '
                                   || 'LIMIT 1', v_legs.status_column, v_legs_sql,
                                   v_legs.journal_column, v_journal_type,
                                   _recon.entry_order_sql(v_legs, 'l', 'DESC'));
        ELSE
            v_status_sql := NULL;
        END IF;
        FOR v_step IN SELECT s.* FROM _recon.fix_stage AS s
                      WHERE s.stage_id = p_stage AND s.check_name = v_check.name
                        AND s.strategy = 'resolve' AND s.status = 'planned'
                      ORDER BY s.step LOOP
            SELECT f.details ->> 'transaction' INTO v_journal FROM _recon.finding AS f
            WHERE f.id = v_step.finding_id;
            v_status := NULL;
            IF v_status_sql IS NOT NULL THEN
                EXECUTE v_status_sql INTO v_status USING v_journal;
            END IF;
            -- every entry of the transaction, every wallet's, in entry order
            EXECUTE format(
                'SELECT COALESCE(jsonb_agg(jsonb_build_object(''entry'', %1$s, ''wallet'', '
                || 'l.%2$I::text, ''kind'', l.%3$I::text, ''amount'', l.%4$I) ORDER BY %5$s), '
                || '''[]'') FROM %6$s AS l WHERE l.%7$I = $1::%8$s',
                _recon.entry_name_sql(v_legs, 'l'), v_legs.wallet_column, v_legs.operation_column,
                v_legs.amount_column, _recon.entry_order_sql(v_legs, 'l'), v_legs_sql,
                v_legs.journal_column, v_journal_type)
            INTO v_entries USING v_journal;
            v_holds := (SELECT COALESCE(jsonb_agg(e), '[]') FROM jsonb_array_elements(v_entries) AS e
                        WHERE e ->> 'wallet' = v_step.wallet_key AND e ->> 'kind' = v_hold);
            v_res := (SELECT COALESCE(jsonb_agg(e), '[]') FROM jsonb_array_elements(v_entries) AS e
                      WHERE e ->> 'wallet' = v_step.wallet_key
                        AND e ->> 'kind' = ANY (v_terminal));
            v_postings := '[]';
            v_note := NULL;
            v_verdict := NULL;
            v_want := CASE WHEN v_status = ANY (v_approved) THEN v_commit
                           WHEN v_status = ANY (v_canceled) THEN v_release END;
            IF jsonb_array_length(v_holds) <> 1 THEN
                v_note := format('%s holds (%s) on the wallet in transaction %s: which one to '
                                 || 'resolve needs a person', jsonb_array_length(v_holds), v_hold,
                                 v_journal);
            ELSIF jsonb_array_length(v_res) = 0 THEN
                IF v_status IS NULL OR NOT (v_status = ANY (v_approved || v_canceled)) THEN
                    v_note := format('transaction %s is %s: neither approved (%s) nor canceled '
                                     || '(%s); whether the hold is committed or released needs '
                                     || 'a person', v_journal, COALESCE(v_status, 'of no status'),
                                     array_to_string(v_approved, ', '),
                                     array_to_string(v_canceled, ', '));
                ELSIF v_want IS NULL THEN
                    v_note := format('transaction %s is %s, but no terminal of %s %s the hold '
                                     || 'exactly', v_journal, v_status, v_check.name,
                                     CASE WHEN v_status = ANY (v_approved) THEN 'commits'
                                          ELSE 'releases' END);
                ELSE
                    v_verdict := CASE WHEN v_want = v_release THEN 'canceled_not_released'
                                      ELSE 'approved_not_committed' END;
                    v_postings := jsonb_build_array(jsonb_build_object(
                        'wallet', v_step.wallet_key,
                        'deltas', _recon.rule_effect(v_legs, v_want,
                                                     (v_holds -> 0 ->> 'amount')::numeric),
                        'purpose', CASE WHEN v_want = v_release THEN 'release' ELSE 'commit' END,
                        'journal', v_journal, 'hold', v_holds -> 0 ->> 'entry',
                        'status', v_status, 'offset_wallet', NULL));
                END IF;
            ELSIF jsonb_array_length(v_res) = 1
                AND (v_res -> 0 ->> 'amount')::numeric <= (v_holds -> 0 ->> 'amount')::numeric THEN
                v_verdict := 'resolved';
                v_note := format('already consistent: the hold is resolved by entry %s (%s)',
                                 v_res -> 0 ->> 'entry', v_res -> 0 ->> 'kind');
            ELSIF EXISTS (SELECT FROM jsonb_array_elements(v_res) AS r
                          WHERE (r ->> 'amount')::numeric
                                <> (v_holds -> 0 ->> 'amount')::numeric) THEN
                v_note := format('transaction %s resolves the hold of %s by other amounts (%s): '
                                 || 'needs a person', v_journal, v_holds -> 0 ->> 'amount',
                                 (SELECT string_agg(format('%s %s', r ->> 'kind', r ->> 'amount'),
                                                    ', ')
                                  FROM jsonb_array_elements(v_res) AS r));
            ELSE
                -- resolved more than once: keep the first resolution the status asks for (or
                -- the first, when all are of one kind and the status says nothing); each other
                -- one is reversed by an entry of the opposite effect in the same transaction
                v_want := COALESCE(v_want, (SELECT min(r ->> 'kind')
                                            FROM jsonb_array_elements(v_res) AS r
                                            HAVING count(DISTINCT r ->> 'kind') = 1));
                v_keep := (SELECT r FROM jsonb_array_elements(v_res) WITH ORDINALITY AS x (r, n)
                           WHERE r ->> 'kind' = v_want ORDER BY n LIMIT 1);
                IF v_keep IS NULL THEN
                    v_note := format('transaction %s is %s, but its hold is resolved by %s: '
                                     || 'needs a person', v_journal,
                                     COALESCE(v_status, 'of no status'),
                                     (SELECT string_agg(r ->> 'kind', ', ')
                                      FROM jsonb_array_elements(v_res) AS r));
                ELSE
                    v_verdict := 'resolved_twice';
                    v_postings := (
                        SELECT jsonb_agg(jsonb_build_object(
                            'wallet', v_step.wallet_key,
                            'deltas', _recon.rule_effect(v_legs, r ->> 'kind',
                                                         -((r ->> 'amount')::numeric)),
                            'purpose', 'reversal', 'entry', r ->> 'entry', 'journal', v_journal,
                            'hold', v_holds -> 0 ->> 'entry', 'status', v_status,
                            'offset_wallet', NULL) ORDER BY n)
                        FROM jsonb_array_elements(v_res) WITH ORDINALITY AS x (r, n)
                        WHERE r IS DISTINCT FROM v_keep);
                END IF;
            END IF;
            -- An INSERT writer writes the journal column only from its template: without one
            -- its row would not land in the hold's transaction.
            IF v_note IS NULL AND EXISTS (SELECT FROM _recon.writer AS w
                                          WHERE w.ledger_source = v_ledger.name
                                            AND w.kind = 'insert' AND w.journal IS NULL) THEN
                v_note := format('the INSERT writer of ledger %s cannot post into transaction %s '
                                 || '(it has no "journal" template): register a posting '
                                 || 'function, or one with a journal template', v_ledger.name,
                                 v_journal);
                v_verdict := NULL;
                v_postings := '[]';
            END IF;
            -- What the transaction nets to, every wallet and column, with the postings: a
            -- repair leaves it balanced (0 on every column) or is not made.
            IF v_note IS NULL THEN
                v_net := (SELECT COALESCE(jsonb_object_agg(n.col, n.total), '{}') FROM (
                              SELECT d.key AS col, sum(d.value::numeric) AS total
                              FROM (SELECT _recon.rule_effect(v_legs, e ->> 'kind',
                                                              (e ->> 'amount')::numeric) AS fx
                                    FROM jsonb_array_elements(v_entries) AS e
                                    UNION ALL
                                    SELECT p -> 'deltas' FROM jsonb_array_elements(v_postings) AS p
                                   ) AS x, jsonb_each_text(x.fx) AS d
                              GROUP BY d.key HAVING sum(d.value::numeric) <> 0) AS n);
                IF v_net <> '{}' THEN
                    v_note := format('transaction %s would not balance after it (it would net '
                                     || '%s): needs a person', v_journal, v_net);
                    v_verdict := NULL;
                    v_postings := '[]';
                END IF;
            END IF;
            v_evidence := jsonb_strip_nulls(jsonb_build_object(
                'verdict', COALESCE(v_verdict, 'needs_person'), 'transaction', v_journal,
                'status', v_status, 'holds', v_holds, 'resolutions', v_res,
                'entries', jsonb_array_length(v_entries)));
            IF p_recheck THEN
                -- under the wallets' locks: what the plan read must still be so
                IF v_note IS NOT NULL OR v_postings IS DISTINCT FROM v_step.postings THEN
                    UPDATE _recon.fix_stage AS s
                    SET status = 'skipped', evidence = v_evidence,
                        note = format('changed since the plan: %s',
                                      COALESCE(v_note, 'the transaction''s entries or status'))
                    WHERE s.stage_id = p_stage AND s.step = v_step.step;
                    v_rows := v_rows + 1;
                END IF;
                CONTINUE;
            END IF;
            UPDATE _recon.fix_stage AS s
            SET postings = v_postings,
                moves = COALESCE((SELECT jsonb_object_agg(m.col, m.total) FROM (
                                      SELECT d.key AS col, sum(d.value::numeric) AS total
                                      FROM jsonb_array_elements(v_postings) AS p,
                                           jsonb_each_text(p -> 'deltas') AS d
                                      GROUP BY d.key) AS m), '{}'),
                evidence = v_evidence,
                status = CASE WHEN v_verdict = 'resolved' THEN 'skipped'
                              WHEN v_note IS NOT NULL THEN 'manual' ELSE s.status END,
                note = v_note
            WHERE s.stage_id = p_stage AND s.step = v_step.step;
            v_rows := v_rows + 1;
        END LOOP;
    END LOOP;
    IF p_recheck THEN
        PERFORM _recon.fix_all_or_nothing(p_stage, '^changed since the plan');
        RETURN v_rows;
    END IF;
    -- A duplicate finding of exactly the resolutions this plan reverses (a RELEASE posted
    -- twice) is repaired by that reversal.
    UPDATE _recon.fix_stage AS d
    SET status = 'covered', covered_by = r.step, postings = '[]', moves = '{}',
        note = format('repaired by step %s (resolve of %s)', r.step, r.check_name)
    FROM _recon.finding AS f, _recon.fix_stage AS r
    WHERE d.stage_id = p_stage AND d.kind = 'duplicate' AND d.status IN ('planned', 'manual')
      AND f.id = d.finding_id AND jsonb_typeof(f.details -> 'entries') = 'array'
      AND r.stage_id = p_stage AND r.strategy = 'resolve' AND r.status = 'planned'
      AND r.wallet_source = d.wallet_source AND r.wallet_key = d.wallet_key
      AND ARRAY(SELECT x FROM jsonb_array_elements_text(f.details -> 'entries')
                    WITH ORDINALITY AS e (x, n) WHERE n > 1 ORDER BY x)
          = ARRAY(SELECT p ->> 'entry' FROM jsonb_array_elements(r.postings) AS p
                  WHERE p ->> 'purpose' = 'reversal' ORDER BY 1);
    RETURN v_rows;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_lifecycle(bigint, boolean) IS
'Plans the resolve steps of a staged plan''s lifecycle findings on evidence, never on the '
'finding alone: the transaction''s status (status table, else its latest entry''s) and its '
'entries. A hold not resolved whose transaction is approved (option "approved", default '
'APPROVED) gets the terminal that commits it (a DEBIT from on_hold), one canceled ("canceled", '
'default CANCELED) the terminal that releases it exactly; a hold resolved more than once keeps '
'the first resolution the status asks for, each other one reversed in the same transaction. '
'Anything else (several holds, other amounts, a pending or unknown status, a transaction that '
'would not balance after it) is manual, the note saying why. With p_recheck (under the '
'wallets'' locks, the status row kept FOR SHARE) a step whose evidence changed is skipped, '
'with the rest of its wallet. Returns how many steps it read.';

REVOKE EXECUTE ON FUNCTION _recon.fix_lifecycle(bigint, boolean) FROM PUBLIC;
