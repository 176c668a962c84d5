-- The commit-time check of every guard: what a transaction staged in _recon.guard_pending is
-- judged when it commits (a deferred constraint trigger), then removed.
CREATE OR REPLACE FUNCTION _recon.tg_guard_check()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_row _recon.guard_pending;
    v_guard _recon.guard;
    v_message text;
    v_details jsonb;
    v_stored numeric;
    v_expected numeric;
    v_entries bigint;
    v_problem text;
    v_found bigint;
BEGIN
    -- A journal a double_entry guard staged (col 'journal') is judged by that guard's own
    -- constraint trigger (recon_guard_<id>_journal, _recon.tg_guard_<id>_check(): static
    -- SQL). No WHEN clause skips it here: one is read from its stored form at every statement
    -- that stages a row, which costs more than this test.
    IF NEW.col = 'journal' THEN
        RETURN NULL;
    END IF;
    -- the accumulated row as the transaction left it; removed whatever the verdict
    DELETE FROM _recon.guard_pending AS p
    WHERE p.txid = NEW.txid AND p.guard_id = NEW.guard_id AND p.fix_id = NEW.fix_id
      AND p.item = NEW.item AND p.col = NEW.col
    RETURNING p.* INTO v_row;
    IF NOT FOUND OR v_row.fix_id <> 0 THEN
        -- gone, or written by an audited recon.fix() statement (verified by the fix itself)
        RETURN NULL;
    END IF;
    SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = v_row.guard_id;
    IF NOT FOUND THEN
        RETURN NULL;  -- disabled meanwhile
    END IF;
    IF v_guard.kind = 'drift' THEN
        -- a drift guard enabled before migration 0006 (statement triggers staging here); those
        -- enabled since are checked by _recon.tg_guard_drift_check()
        IF v_row.stored = 'NaN' OR v_row.ledger = 'NaN'
            OR abs(v_row.stored - v_row.ledger) > v_guard.tolerance THEN
            v_message := format('wallet %s: %s moved by %s, its ledger entries by %s',
                                v_row.item, v_row.col, v_row.stored, v_row.ledger);
            v_details := jsonb_build_object(
                'wallet', v_row.item, 'column', v_row.col, 'stored_change', v_row.stored,
                'ledger_change', v_row.ledger, 'difference', v_row.stored - v_row.ledger);
        END IF;
    ELSIF v_guard.kind = 'double_entry' AND v_row.col = 'null' THEN
        -- an entry written without a journal (unless the guard's null_journals is allowed)
        v_message := 'an entry without a journal (NULL): no journal transaction balances it';
        v_details := jsonb_build_object(
            'journal', NULL, 'hint', 'Post every entry under its journal transaction, or enable '
            || 'the guard with {"null_journals": "allowed"} if this ledger has such entries.');
    ELSIF v_guard.kind = 'double_entry' THEN
        -- the function generated for the guard (static SQL, planned once per session), or the
        -- same SQL for a guard enabled before it was
        IF v_guard.compiled -> 'functions' @> jsonb_build_array(jsonb_build_object(
               'function', format('_recon.guard_%s_journal(text)', v_guard.id))) THEN
            EXECUTE format('SELECT * FROM _recon.guard_%s_journal($1)', v_guard.id)
            INTO v_stored, v_entries USING v_row.item;
        ELSE
            EXECUTE v_guard.compiled -> 'sql' ->> 'check' INTO v_stored, v_entries
            USING v_row.item;
        END IF;
        IF v_stored = 'NaN' OR abs(v_stored) > v_guard.tolerance THEN
            v_message := format('journal %s: its %s entries do not balance (credits - debits = %s)',
                                v_row.item, v_entries, v_stored);
            v_details := jsonb_build_object('journal', v_row.item, 'entries', v_entries,
                                            'imbalance', v_stored);
        END IF;
    ELSIF v_guard.kind = 'lifecycle' THEN
        EXECUTE v_guard.compiled -> 'sql' ->> 'check' INTO v_problem USING v_row.item;
        IF v_problem IS NOT NULL THEN
            v_message := format('transaction %s: %s', v_row.item, v_problem);
            v_details := jsonb_build_object('transaction', v_row.item, 'problem', v_problem);
        END IF;
    ELSIF v_guard.kind = 'derived' THEN
        EXECUTE v_guard.compiled -> 'sql' ->> 'check' INTO v_stored, v_expected USING v_row.item;
        -- EXECUTE leaves FOUND as it was (true, from the guard's row): the row count says
        -- whether the wallet is there (a wallet deleted or re-keyed away is not)
        GET DIAGNOSTICS v_found = ROW_COUNT;
        IF v_found > 0 AND (v_stored IS NULL OR v_stored = 'NaN' OR v_expected = 'NaN'
                      OR abs(v_stored - v_expected) > v_guard.tolerance) THEN
            v_message := format('wallet %s: %s is %s, expected %s', v_row.item,
                                v_guard.compiled -> 'sql' ->> 'column', v_stored, v_expected);
            v_details := jsonb_build_object('wallet', v_row.item, 'stored', v_stored,
                                            'expected', v_expected,
                                            'difference', v_stored - v_expected);
        ELSIF v_found = 0 AND v_guard.compiled -> 'sql' ->> 'orphan' IS NOT NULL THEN
            -- the wallet is gone (deleted, or re-keyed away) and its source rows still hold
            -- an amount: nothing stores it any more
            EXECUTE v_guard.compiled -> 'sql' ->> 'orphan' INTO v_expected USING v_row.item;
            IF v_expected IS DISTINCT FROM 0 AND (v_expected = 'NaN'
                                                  OR abs(v_expected) > v_guard.tolerance) THEN
                v_message := format('wallet %s is gone; its source rows still hold %s',
                                    v_row.item, v_expected);
                v_details := jsonb_build_object('wallet', v_row.item, 'stored', NULL,
                                                'expected', v_expected);
            END IF;
        END IF;
    END IF;
    IF v_message IS NOT NULL THEN
        PERFORM _recon.guard_violation(v_guard, v_row.item, v_message, v_details);
    END IF;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.tg_guard_check() IS
'Deferred (commit-time) check of one item a guarded transaction touched: a wallet''s stored '
'change against its ledger effects (drift), a journal''s balance (double_entry), a hold''s '
'resolutions (lifecycle), a wallet''s derived value (derived). A violation blocks or warns '
'(_recon.guard_violation). Its cost depends on the transaction, never on a wallet''s history.';

REVOKE EXECUTE ON FUNCTION _recon.tg_guard_check() FROM PUBLIC;

DROP TRIGGER IF EXISTS guard_pending_check ON _recon.guard_pending;
CREATE CONSTRAINT TRIGGER guard_pending_check
AFTER INSERT ON _recon.guard_pending
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION _recon.tg_guard_check();
COMMENT ON TRIGGER guard_pending_check ON _recon.guard_pending IS
'Runs each guard''s check when the writing transaction commits (a double_entry guard''s '
'journals, col ''journal'': its own trigger recon_guard_<id>_journal).';
