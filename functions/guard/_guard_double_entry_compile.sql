-- _recon.guard_double_entry_compile(): the SQL and triggers of a double_entry guard.
CREATE OR REPLACE FUNCTION _recon.guard_double_entry_compile(
    p_id integer, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source := p_ledger;
    v_wallet _recon.wallet_source := p_wallet;
    v_sql jsonb;
    v_triggers jsonb;
    v_col name;
    v_journal_type text;
    v_effects_old text;
    v_effects_new text;
    v_null_filter text;
    v_parent record;
    v_parent_sql jsonb;
    v_type text;
    v_into CONSTANT text := 'INSERT INTO _recon.guard_pending AS p '
        || '(txid, guard_id, fix_id, item, col, stored, ledger) ';
BEGIN
    PERFORM _recon.require_column(v_ledger, v_ledger.journal_column, 'journal',
                                  'double_entry guard');
    -- Its functions run as the toolkit's owner, in both modes: no user's cast or operator.
    -- The journal is cast to text and back, the amounts to numeric; the direction is read by
    -- its label through the legs relation (_recon.legs_kind_sql: an enum passes).
    v_type := _recon.guard_require_builtin_types(
        v_ledger, NULL,
        ARRAY[v_ledger.wallet_column, v_ledger.debit_wallet_column,
              v_ledger.credit_wallet_column, v_ledger.amount_column, v_ledger.direction_column,
              v_ledger.operation_column, v_ledger.journal_column, v_ledger.currency_column],
        ARRAY[v_ledger.direction_column, v_ledger.operation_column]);
    IF v_type IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC406', format('a double_entry guard cannot read %s', v_type),
            'Its statement trigger function and journal sum run as the toolkit''s owner and '
            || 'convert the journals, wallets and amounts they read; a type made by a user '
            || '(an enum too, but for a direction, an operation or a rule column, read by its '
            || 'label) can carry a cast that runs that user''s code, which would run as the '
            || 'toolkit''s owner.',
            'Use a built-in type (or a domain over one) for that column, or check journals '
            || 'with reconcile (the journal check); docs/GUARDS.md "Block mode".');
    END IF;
    IF (_recon.legs(v_ledger)).amount_mode = 'operation' THEN
        PERFORM _recon.fail('RC406', 'a double_entry guard needs a signed or direction ledger',
                            format('Ledger %s is operation-based.', v_ledger.name),
                            'Guard the journal entries of a credit/debit or signed ledger.');
    END IF;
    SELECT b INTO v_col FROM unnest(v_wallet.balance_columns) AS b
    WHERE v_ledger.effects ? b LIMIT 1;
    v_journal_type := _recon.column_type_sql(v_ledger.relid, v_ledger.journal_column);
    -- no DISTINCT: ON CONFLICT DO NOTHING skips a journal the statement repeats (a Sort and a
    -- Unique less to start per statement)
    v_effects_old := v_into || 'SELECT pg_current_xact_id(), $1, $2, '
        || 'l.%1$I::text, ''journal'', 0, 0 FROM %2$s AS l WHERE l.%1$I IS NOT NULL '
        || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING';
    -- each journal written is staged once per transaction (col 'journal'), judged at commit by
    -- the guard's own constraint trigger on _recon.guard_pending
    -- (_recon.guard_statement_function); an entry written without a journal is staged too
    -- (col 'null'), and blocked at commit, unless the guard declares NULL journals legitimate
    -- (issue 18)
    v_effects_new := CASE WHEN (SELECT g.options ->> 'null_journals' FROM _recon.guard AS g
                                WHERE g.id = p_id) = 'allowed' THEN v_effects_old
        ELSE v_into || 'SELECT pg_current_xact_id(), $1, $2, '
             || 'COALESCE(l.%1$I::text, ''''), CASE WHEN l.%1$I IS NULL THEN ''null'' '
             || 'ELSE ''journal'' END, 0, 0 FROM %2$s AS l WHERE l.%1$I IS NOT NULL OR (%3$s) '
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
        -- (legs balance in each currency, as the journal check reads them: an entry's own
        -- currency, else its wallet's; 10 USD against 10 EUR is two findings there)
        'check', CASE WHEN v_ledger.currency_column IS NULL AND v_wallet.currency_column IS NULL
            THEN format(
            'SELECT COALESCE(sum(COALESCE((%1$s)::numeric, ''NaN'')), 0), count(*) '
            || 'FROM %2$s AS l WHERE l.journal = $1::%3$s',
            _recon.effect_sql(_recon.legs(v_ledger), v_col, 'l'), _recon.legs_sql(v_ledger),
            v_journal_type)
            ELSE format(
            'SELECT COALESCE((SELECT c.s FROM (SELECT sum(COALESCE((%1$s)::numeric, ''NaN'')) '
            || 'AS s FROM %2$s AS l%4$s WHERE l.journal = $1::%3$s GROUP BY %5$s) AS c '
            || 'WHERE c.s <> 0 ORDER BY c.s LIMIT 1), 0), '
            || '(SELECT count(*) FROM %2$s AS l WHERE l.journal = $1::%3$s)',
            _recon.effect_sql(_recon.legs(v_ledger), v_col, 'l'), _recon.legs_sql(v_ledger),
            v_journal_type,
            CASE WHEN v_ledger.currency_column IS NULL
                 THEN format(' LEFT JOIN %s AS cw ON cw.%I = l.wallet', v_wallet.relid::regclass,
                             v_wallet.key_column) ELSE '' END,
            CASE WHEN v_ledger.currency_column IS NULL
                 THEN format('cw.%I::text', v_wallet.currency_column)
                 ELSE 'l.currency' END) END);
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
                          || 'l.journal::text, ''journal'', 0, 0 FROM (SELECT n.journal FROM %s AS n '
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

    RETURN jsonb_build_object('sql', v_sql, 'triggers', v_triggers);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_double_entry_compile(
    integer, _recon.ledger_source, _recon.wallet_source
) IS
'The part of _recon.guard_compile for a double_entry guard on ledger p_ledger: {"sql", '
'"triggers"}, the statement triggers on the ledger (and on each parent table) staging the '
'journals written in _recon.guard_pending, and the commit-time sum of one journal ("check"). '
'RC106 without a journal column, RC406 on an operation ledger or over a column of a type a '
'user made (_recon.guard_require_builtin_types).';

REVOKE EXECUTE ON FUNCTION _recon.guard_double_entry_compile(
    integer, _recon.ledger_source, _recon.wallet_source
) FROM PUBLIC;
