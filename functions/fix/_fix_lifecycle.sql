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
    v_postings jsonb;
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
        v_status_sql := _recon.fix_lifecycle_status_sql(v_check, v_legs, v_legs_sql,
                                                         v_journal_type, p_recheck);
        FOR v_step IN SELECT s.* FROM _recon.fix_stage AS s
                      WHERE s.stage_id = p_stage AND s.check_name = v_check.name
                        AND s.strategy = 'resolve' AND s.status = 'planned'
                      ORDER BY s.step LOOP
            SELECT f.details ->> 'transaction' INTO v_journal FROM _recon.finding AS f
            WHERE f.id = v_step.finding_id;
            v_status := NULL;
            IF v_status_sql IS NOT NULL THEN
                v_status := _recon.fix_read(
                    format('SELECT to_jsonb(s.v) FROM (%s) AS s (v) LIMIT 1', v_status_sql),
                    ARRAY[v_journal]) #>> '{}';
            END IF;
            -- every entry of the transaction, every wallet's, in entry order
            v_entries := _recon.fix_read(format(
                'SELECT COALESCE(jsonb_agg(jsonb_build_object(''entry'', %1$s, ''wallet'', '
                || 'l.%2$I::text, ''kind'', l.%3$I::text, ''amount'', l.%4$I) ORDER BY %5$s), '
                || '''[]'') FROM %6$s AS l WHERE l.%7$I = ($1[1])::%8$s',
                _recon.entry_name_sql(v_legs, 'l'), v_legs.wallet_column, v_legs.operation_column,
                v_legs.amount_column, _recon.entry_order_sql(v_legs, 'l'), v_legs_sql,
                v_legs.journal_column, v_journal_type), ARRAY[v_journal]);
            -- the hold, its resolutions, and the postings that resolve it, or why a person
            SELECT v.p_note, v.p_verdict, v.p_postings, v.p_evidence
            INTO v_note, v_verdict, v_postings, v_evidence
            FROM _recon.fix_lifecycle_verdict(
                v_step, v_check.name, v_ledger.name, v_legs, v_hold, v_terminal, v_release,
                v_commit, v_approved, v_canceled, v_journal, v_status, v_entries) AS v;
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
    PERFORM _recon.fix_lifecycle_covered(p_stage);
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
