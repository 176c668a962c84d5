-- _recon.guard_compile(): the triggers a guard needs and the SQL they run.
CREATE OR REPLACE FUNCTION _recon.guard_compile(p_kind text, p_target text, p_id integer)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source;
    v_wallet _recon.wallet_source;
    v_check _recon.check_def;
    v_compiled jsonb;
    v_effects_old text;
    v_sql jsonb := '{}'::jsonb;
    v_triggers jsonb := '[]'::jsonb;
    v_functions jsonb := '[]'::jsonb;
    v_relid oid;
    v_hold text;
    v_terminal text;
    v_journal_type text;
    v_into CONSTANT text := 'INSERT INTO _recon.guard_pending AS p '
        || '(txid, guard_id, fix_id, item, col, stored, ledger) ';
BEGIN
    IF p_kind IN ('drift', 'append_only', 'double_entry') THEN
        v_ledger := _recon.ledger(p_target);
        v_wallet := _recon.wallet(v_ledger.wallet_source);
        IF p_kind <> 'append_only' THEN  -- append-only reads no column: any shape
            PERFORM _recon.require_guard_shape(v_ledger, p_kind);
        END IF;
    ELSE
        v_check := _recon."check"(p_target);
    END IF;

    IF p_kind = 'drift' THEN
        v_compiled := _recon.guard_drift_compile(p_id, v_ledger, v_wallet);
        v_sql := v_compiled -> 'sql';
        v_triggers := v_compiled -> 'triggers';
        v_functions := v_compiled -> 'functions';

    ELSIF p_kind = 'double_entry' THEN
        v_compiled := _recon.guard_double_entry_compile(p_id, v_ledger, v_wallet);
        v_sql := v_compiled -> 'sql';
        v_triggers := v_compiled -> 'triggers';

    ELSIF p_kind = 'lifecycle' THEN
        IF v_check.kind <> 'lifecycle' THEN
            PERFORM _recon.fail('RC406', format('%s is a %s check, not a lifecycle check',
                                                p_target, v_check.kind),
                                'A lifecycle guard enforces a lifecycle check''s state machine.',
                                'Name a lifecycle check.');
        END IF;
        v_ledger := _recon.ledger(v_check.ledger_source);
        v_wallet := _recon.wallet(v_ledger.wallet_source);
        PERFORM _recon.require_guard_shape(v_ledger, 'lifecycle');
        PERFORM _recon.require_column(v_ledger, v_ledger.journal_column, 'journal',
                                      'lifecycle guard');
        v_hold := quote_literal(v_check.options ->> 'hold');
        SELECT string_agg(quote_literal(t), ', ') INTO v_terminal
        FROM jsonb_array_elements_text(v_check.options -> 'terminal') AS t;
        v_journal_type := _recon.column_type_sql(v_ledger.relid, v_ledger.journal_column);
        -- the transactions (journals) whose hold or resolution rows were written: the new rows,
        -- and the old ones of an UPDATE (a hold moved to another transaction) or a DELETE
        -- (one format() per transition table: a hold or terminal name may hold a %)
        v_effects_old := v_into || 'SELECT DISTINCT pg_current_xact_id(), $1, $2, '
            || 'l.%1$I::text, ''*'', 0, 0 FROM %5$s AS l WHERE l.%1$I IS NOT NULL '
            || 'AND l.%2$I::text IN (%3$s, %4$s) '
            || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING';
        v_sql := jsonb_build_object(
            'ledger_insert', format(v_effects_old, v_ledger.journal_column,
                                    v_ledger.operation_column, v_hold, v_terminal, 'recon_new'),
            'ledger_update', jsonb_build_array(
                format(v_effects_old, v_ledger.journal_column, v_ledger.operation_column, v_hold,
                       v_terminal, 'recon_new'),
                format(v_effects_old, v_ledger.journal_column, v_ledger.operation_column, v_hold,
                       v_terminal, 'recon_old')),
            'ledger_delete', format(v_effects_old, v_ledger.journal_column,
                                    v_ledger.operation_column, v_hold, v_terminal, 'recon_old'),
            -- at commit, per wallet of the transaction: at most one resolution, never more
            -- than the hold, and none without a hold
            'check', format(
                'SELECT string_agg(format(''wallet %%s: %%s hold(s) of %%s, %%s resolution(s) '
                || 'of %%s'', x.k, x.holds, x.held, x.resolutions, x.resolved), ''; '') '
                || 'FROM (SELECT l.%1$I::text AS k, '
                || 'count(*) FILTER (WHERE l.%2$I::text = %3$s) AS holds, '
                || 'COALESCE(sum(l.%4$I) FILTER (WHERE l.%2$I::text = %3$s), 0) AS held, '
                || 'count(*) FILTER (WHERE l.%2$I::text IN (%5$s)) AS resolutions, '
                || 'COALESCE(sum(l.%4$I) FILTER (WHERE l.%2$I::text IN (%5$s)), 0) AS resolved '
                || 'FROM %6$s AS l WHERE l.%7$I = $1::%8$s GROUP BY 1) AS x '
                || 'WHERE x.resolutions > 1 OR x.resolved > x.held '
                || 'OR (x.resolutions > 0 AND x.holds = 0)',
                v_ledger.wallet_column, v_ledger.operation_column, v_hold,
                v_ledger.amount_column, v_terminal, v_ledger.relid::regclass,
                v_ledger.journal_column, v_journal_type));
        v_triggers := _recon.guard_statement_triggers(v_ledger.relid, p_id, 'ledger')
            || _recon.guard_truncate_trigger(v_ledger.relid, p_id, 'ledger', 'ledger');

    ELSIF p_kind = 'derived' THEN
        IF v_check.kind <> 'derived' THEN
            PERFORM _recon.fail('RC406', format('%s is a %s check, not a derived check',
                                                p_target, v_check.kind),
                                'A derived guard checks a derived check''s column on write.',
                                'Name a derived check.');
        END IF;
        v_wallet := _recon.wallet(v_check.wallet_source);
        v_relid := _recon.resolve_table(v_check.options ->> 'table');
        v_compiled := _recon.guard_derived_compile(p_id, v_check, v_wallet, v_relid);
        v_sql := v_compiled -> 'sql';
        v_triggers := v_compiled -> 'triggers';

    ELSE  -- append_only
        v_triggers := jsonb_build_array(
            jsonb_build_object(
                'table', v_ledger.relid::regclass::text,
                'trigger', format('recon_guard_%s_no_change', p_id),
                'definition', format(
                    'BEFORE UPDATE OR DELETE ON %s FOR EACH ROW '
                    || 'EXECUTE FUNCTION _recon.tg_guard_append_only(%L, %L)',
                    v_ledger.relid::regclass, p_id, v_ledger.relid::regclass)),
            jsonb_build_object(
                'table', v_ledger.relid::regclass::text,
                'trigger', format('recon_guard_%s_no_truncate', p_id),
                'definition', format(
                    'BEFORE TRUNCATE ON %s FOR EACH STATEMENT '
                    || 'EXECUTE FUNCTION _recon.tg_guard_append_only(%L)',
                    v_ledger.relid::regclass, p_id)));
    END IF;
    -- a source that is a simple view: its guard goes on the base table, through its WHERE
    v_compiled := _recon.guard_over_views(
        jsonb_build_object('sql', v_sql, 'triggers', v_triggers, 'functions', v_functions),
        jsonb_build_object('ledger', v_ledger.relid, 'wallet', v_wallet.relid, 'source', v_relid)
        || COALESCE(v_compiled -> 'sides', '{}'::jsonb),  -- a drift guard's other ledgers
        p_kind, p_target);
    -- double_entry: its statements as static SQL in functions generated for it
    RETURN CASE WHEN p_kind = 'double_entry'
                THEN _recon.guard_statement_function(p_id, v_compiled) ELSE v_compiled END;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_compile(text, text, integer) IS
'Compiles a guard: the triggers it puts on the user''s tables, the trigger functions it '
'generates (drift: one per table, row-level, accumulating in a transaction-local setting) and '
'the SQL the others run (statement-level, reading the transition tables: what a statement '
'changed, staged in _recon.guard_pending, and the commit-time check of a journal, a hold or a '
'derived value). Nothing costs more for a wallet with a long history. A source that is a '
'simple view is guarded on its base table through the view''s query '
'(_recon.guard_over_views); any other view is refused (RC406).';

REVOKE EXECUTE ON FUNCTION _recon.guard_compile(text, text, integer) FROM PUBLIC;
