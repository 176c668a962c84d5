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
    v_effects_new text;
    v_sql jsonb := '{}'::jsonb;
    v_triggers jsonb := '[]'::jsonb;
    v_functions jsonb := '[]'::jsonb;
    v_key_type text;
    v_relid oid;
    v_key name;
    v_value name;
    v_minus text := '0';
    v_filter text := 'TRUE';
    v_join name;
    v_col name;
    v_hold text;
    v_terminal text;
    v_journal_type text;
    v_null_filter text;
    v_parent record;
    v_parent_sql jsonb;
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
        PERFORM _recon.require_column(v_ledger, v_ledger.journal_column, 'journal',
                                      'double_entry guard');
        IF (_recon.legs(v_ledger)).amount_mode = 'operation' THEN
            PERFORM _recon.fail('RC406', 'a double_entry guard needs a signed or direction ledger',
                                format('Ledger %s is operation-based.', v_ledger.name),
                                'Guard the journal entries of a credit/debit or signed ledger.');
        END IF;
        SELECT b INTO v_col FROM unnest(v_wallet.balance_columns) AS b
        WHERE v_ledger.effects ? b LIMIT 1;
        v_journal_type := _recon.column_type_sql(v_ledger.relid, v_ledger.journal_column);
        v_effects_old := v_into || 'SELECT DISTINCT pg_current_xact_id(), $1, $2, '
            || 'l.%1$I::text, ''*'', 0, 0 FROM %2$s AS l WHERE l.%1$I IS NOT NULL '
            || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING';
        -- an entry written without a journal is staged too (col 'null'), and blocked at
        -- commit, unless the guard declares NULL journals legitimate (issue 18)
        v_effects_new := CASE WHEN (SELECT g.options ->> 'null_journals' FROM _recon.guard AS g
                                    WHERE g.id = p_id) = 'allowed' THEN v_effects_old
            ELSE v_into || 'SELECT DISTINCT pg_current_xact_id(), $1, $2, '
                 || 'COALESCE(l.%1$I::text, ''''), CASE WHEN l.%1$I IS NULL THEN ''null'' '
                 || 'ELSE ''*'' END, 0, 0 FROM %2$s AS l WHERE l.%1$I IS NOT NULL OR (%3$s) '
                 || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING' END;
        -- only the entries without a journal that the ledger's filters keep, as the journal
        -- check reads them (a pending entry gets its journal when posted: not blocked before)
        v_null_filter := COALESCE(_recon.guard_filter_sql(v_ledger, 'l'), 'TRUE');
        v_sql := jsonb_build_object(
            'ledger_insert', format(v_effects_new, v_ledger.journal_column, 'recon_new',
                                    v_null_filter),
            'ledger_delete', format(v_effects_old, v_ledger.journal_column, 'recon_old'),
            'ledger_update', jsonb_build_array(
                format(v_effects_new, v_ledger.journal_column, 'recon_new', v_null_filter),
                format(v_effects_old, v_ledger.journal_column, 'recon_old')),
            -- at commit: the journal transaction's legs, through the journal column (its
            -- index: the condition reaches the scan of a one-sided ledger), only the rows the
            -- filters keep; a transfer row's two legs balance by construction
            'check', format(
                'SELECT COALESCE(sum(COALESCE((%1$s)::numeric, ''NaN'')), 0), count(*) '
                || 'FROM %2$s AS l WHERE l.journal = $1::%3$s',
                _recon.effect_sql(_recon.legs(v_ledger), v_col, 'l'), _recon.legs_sql(v_ledger),
                v_journal_type));
        v_triggers := _recon.guard_statement_triggers(v_ledger.relid, p_id, 'ledger');
        IF v_ledger.parents IS NOT NULL THEN
            -- the parent rows of the rows written are locked first, as for a drift guard
            -- (_recon.guard_parent_lock_sql)
            v_sql := v_sql || jsonb_build_object(
                'ledger_insert', to_jsonb(_recon.guard_parent_lock_sql(v_ledger, 'recon_new'))
                    || jsonb_build_array(v_sql -> 'ledger_insert'),
                'ledger_delete', to_jsonb(_recon.guard_parent_lock_sql(v_ledger, 'recon_old'))
                    || jsonb_build_array(v_sql -> 'ledger_delete'),
                'ledger_update', to_jsonb(_recon.guard_parent_lock_sql(v_ledger, 'recon_new')
                                          || _recon.guard_parent_lock_sql(v_ledger, 'recon_old'))
                    || (v_sql -> 'ledger_update'));
        END IF;
        -- an UPDATE on a parent table changes which of the rows under the rows it wrote
        -- count, and how: their journals, before and after it, are checked at commit (a change
        -- the isolation level cannot prove is refused: _recon.guard_parent_change; an INSERT
        -- or a DELETE changes none, as for a drift guard)
        FOR v_parent IN SELECT t.relid, t.n, t.aliases FROM _recon.guard_parent_tables(v_ledger) AS t
        LOOP
            SELECT jsonb_build_object(format('parent%s_update', v_parent.n), jsonb_build_array(
                       format('SELECT _recon.guard_parent_change(%s, %L, %s, FALSE)', p_id,
                              v_parent.relid::regclass, x.sql ->> 'changed'))
                   || to_jsonb(_recon.guard_parent_lock_sql(
                          v_ledger, 'recon_new', ARRAY(SELECT jsonb_object_keys(v_parent.aliases))))
                   || jsonb_build_array(
                       format(v_into || 'SELECT DISTINCT pg_current_xact_id(), $1, $2, '
                              || 'l.journal::text, ''*'', 0, 0 FROM (SELECT n.journal FROM %s AS n '
                              || 'UNION ALL SELECT o.journal FROM %s AS o) AS l '
                              || 'WHERE l.journal IS NOT NULL '
                              || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING',
                              _recon.legs_query(v_ledger, NULL, x.sql ->> 'where'),
                              _recon.legs_query(v_ledger, x.sql -> 'swap', x.sql ->> 'where'))),
                   -- a DELETE whose key is written again in the statement is refused
                   format('parent%s_delete', v_parent.n), jsonb_build_array(format(
                       'SELECT _recon.guard_parent_change(%s, %L, FALSE, %s)', p_id,
                       v_parent.relid::regclass, x.sql ->> 'reborn')))
            INTO v_parent_sql
            FROM (SELECT _recon.guard_parent_sql(v_ledger, v_parent.relid, v_parent.aliases)
                      AS sql) AS x;
            v_sql := v_sql || v_parent_sql;
            v_triggers := v_triggers || _recon.guard_statement_triggers(
                v_parent.relid, p_id, 'parent' || v_parent.n, ARRAY['update', 'delete']);
        END LOOP;

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
        v_effects_old := format(
            v_into || 'SELECT DISTINCT pg_current_xact_id(), $1, $2, '
            || 'l.%1$I::text, ''*'', 0, 0 FROM recon_new AS l WHERE l.%1$I IS NOT NULL '
            || 'AND l.%2$I::text IN (%3$s, %4$s) '
            || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING',
            v_ledger.journal_column, v_ledger.operation_column, v_hold, v_terminal);
        v_sql := jsonb_build_object(
            'ledger_insert', v_effects_old,
            'ledger_update', v_effects_old,
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
        v_triggers := _recon.guard_statement_triggers(v_ledger.relid, p_id, 'ledger',
                                                      ARRAY['insert', 'update']);

    ELSIF p_kind = 'derived' THEN
        IF v_check.kind <> 'derived' THEN
            PERFORM _recon.fail('RC406', format('%s is a %s check, not a derived check',
                                                p_target, v_check.kind),
                                'A derived guard checks a derived check''s column on write.',
                                'Name a derived check.');
        END IF;
        v_wallet := _recon.wallet(v_check.wallet_source);
        v_relid := _recon.resolve_table(v_check.options ->> 'table');
        v_key := v_check.options ->> 'key_column';
        v_value := v_check.options ->> 'value_column';
        v_col := v_check.options ->> 'column';
        v_join := COALESCE(v_check.options ->> 'wallet_column', v_wallet.key_column);
        IF v_check.options ? 'minus_column' THEN
            v_minus := format('COALESCE(t.%I, 0)', v_check.options ->> 'minus_column');
        END IF;
        IF v_check.options ? 'filter_column' THEN
            v_filter := _recon.in_list_sql(v_relid, 't', v_check.options ->> 'filter_column',
                                           v_check.options -> 'filter_values', 'filter_values');
        END IF;
        v_key_type := _recon.column_type_sql(v_wallet.relid, v_wallet.key_column);
        v_sql := jsonb_build_object(
            -- a wallet whose derived column changed, both keys of a re-keyed wallet, a wallet
            -- inserted or deleted (issue 18), and the wallets of changed source rows
            'wallet_update', format(
                v_into || 'SELECT DISTINCT pg_current_xact_id(), $1, $2, k.key, ''*'', 0, 0 '
                || 'FROM (SELECT n.%1$I::text AS key FROM recon_new AS n '
                || 'LEFT JOIN recon_old AS o ON o.%1$I = n.%1$I '
                || 'WHERE o.%1$I IS NULL OR n.%2$I IS DISTINCT FROM o.%2$I '
                || 'UNION ALL SELECT o.%1$I::text FROM recon_old AS o '
                || 'WHERE NOT EXISTS (SELECT FROM recon_new AS n WHERE n.%1$I = o.%1$I)) AS k '
                || 'WHERE k.key IS NOT NULL '
                || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING',
                v_wallet.key_column, v_col),
            'wallet_insert', format(
                v_into || 'SELECT DISTINCT pg_current_xact_id(), $1, $2, n.%1$I::text, ''*'', '
                || '0, 0 FROM recon_new AS n WHERE n.%1$I IS NOT NULL '
                || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING',
                v_wallet.key_column),
            'wallet_delete', format(
                v_into || 'SELECT DISTINCT pg_current_xact_id(), $1, $2, o.%1$I::text, ''*'', '
                || '0, 0 FROM recon_old AS o WHERE o.%1$I IS NOT NULL '
                || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING',
                v_wallet.key_column),
            -- a wallet gone (deleted, re-keyed) whose source rows still hold an amount
            -- (when the source rows reference the wallet by its key)
            'orphan', CASE WHEN v_join = v_wallet.key_column THEN format(
                'SELECT COALESCE((SELECT sum(t.%1$I - %2$s) FROM %3$s AS t '
                || 'WHERE t.%4$I = $1::%6$s AND %5$s), 0)::numeric',
                v_value, v_minus, v_relid::regclass, v_key, v_filter,
                _recon.column_type_sql(v_relid, v_key)) END,
            'source_insert', _recon.guard_derived_source_sql(v_wallet, v_join, v_key, 'recon_new'),
            'source_delete', _recon.guard_derived_source_sql(v_wallet, v_join, v_key, 'recon_old'),
            'source_update', jsonb_build_array(
                _recon.guard_derived_source_sql(v_wallet, v_join, v_key, 'recon_new'),
                _recon.guard_derived_source_sql(v_wallet, v_join, v_key, 'recon_old')),
            'column', v_col,
            'check', format(
                'SELECT w.%1$I::numeric, COALESCE((SELECT sum(t.%2$I - %3$s) FROM %4$s AS t '
                || 'WHERE t.%5$I = w.%6$I AND %7$s), 0)::numeric '
                || 'FROM %8$s AS w WHERE w.%9$I = $1::%10$s',
                v_col, v_value, v_minus, v_relid::regclass, v_key, v_join, v_filter,
                v_wallet.relid::regclass, v_wallet.key_column, v_key_type));
        v_triggers := _recon.guard_statement_triggers(v_wallet.relid, p_id, 'wallet')
            || _recon.guard_statement_triggers(v_relid, p_id, 'source');

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
        jsonb_build_object('ledger', v_ledger.relid, 'wallet', v_wallet.relid, 'source', v_relid),
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
