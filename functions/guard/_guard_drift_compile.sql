-- _recon.guard_drift_compile(): the triggers and functions of a drift guard.
CREATE OR REPLACE FUNCTION _recon.guard_drift_compile(
    p_id integer, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_cols text[] := ARRAY(SELECT b FROM unnest(p_wallet.balance_columns) AS b
                           WHERE p_ledger.effects ? b);
    -- effects a row alone does not give (keyed on several columns, or reading parent rows)
    v_legs boolean := p_ledger.parents IS NOT NULL OR p_ledger.kinds IS NOT NULL;
    v_check_on text := COALESCE((SELECT g.options ->> 'check_on' FROM _recon.guard AS g
                                 WHERE g.id = p_id), 'wallet');
    -- block mode (sealed): no constraint trigger on the tables; the transaction's first row
    -- queues the one commit-time check through _recon.guard_tick, which judges
    -- _recon.guard_spill (nothing the writer can reach decides whether it runs)
    v_block boolean := EXISTS (SELECT FROM _recon.guard AS g
                               WHERE g.id = p_id AND g.mode = 'block');
    v_sides text[] := CASE WHEN v_legs THEN ARRAY['wallet'] ELSE ARRAY['wallet', 'ledger'] END;
    v_sql jsonb := jsonb_build_object('columns', to_jsonb(v_cols),
                                      'setting', format('wallet_recon.drift_%s', p_id));
    v_triggers jsonb;
    v_table record;
    v_parent jsonb;
    v_branches jsonb;
    -- the statement window: sealed in _recon.guard_window in block mode, else a setting
    v_begin text := CASE WHEN v_block THEN '_recon.tg_guard_drift_begin_sealed'
                         ELSE '_recon.tg_guard_drift_begin' END;
BEGIN
    IF v_block THEN  -- no user's cast runs as the toolkit's owner
        PERFORM _recon.guard_require_builtin_types(p_ledger, p_wallet);
    END IF;
    -- Per row: a trigger function generated for the wallet table and (unless v_legs) for the
    -- ledger (static PL/pgSQL, its plans cached per session) adds what the row changed, per
    -- wallet and balance column, to a transaction-local setting; a deferred constraint trigger
    -- on the wallet table (or the ledger: option check_on) judges it at commit
    -- (_recon.tg_drift_<id>_check; a transaction whose first write is to the other table
    -- queues one through _recon_guard.drift_tick). docs/GUARDS.md.
    SELECT jsonb_agg(x.value ORDER BY x.o) INTO v_triggers
    FROM (SELECT jsonb_build_object(
              'table', t.relid::regclass::text,
              'trigger', format('recon_guard_%s_%s', p_id, t.side),
              'definition', format('AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW '
                                   || 'EXECUTE FUNCTION _recon.tg_drift_%s_%s()',
                                   t.relid::regclass, p_id, t.side)) AS value, t.o
          FROM (VALUES (1, p_wallet.relid, 'wallet'), (2, p_ledger.relid, 'ledger'))
              AS t (o, relid, side)
          WHERE t.side = ANY (v_sides)
          UNION ALL
          SELECT jsonb_build_object(
              'table', t.relid::regclass::text,
              'trigger', format('recon_guard_%s_%s_check', p_id, t.side),
              'constraint', TRUE,
              'definition', format('AFTER INSERT OR UPDATE OR DELETE ON %s DEFERRABLE '
                                   || 'INITIALLY DEFERRED FOR EACH ROW '
                                   || 'EXECUTE FUNCTION _recon.tg_drift_%s_check()',
                                   t.relid::regclass, p_id)), t.o + 2
          FROM (VALUES (1, p_wallet.relid, 'wallet'), (2, p_ledger.relid, 'ledger'))
              AS t (o, relid, side)
          WHERE t.side = v_check_on AND NOT v_block) AS x;

    IF v_legs THEN
        -- Through the legs relation, per statement (a generated function,
        -- _recon.tg_drift_<id>_legs, into _recon.guard_spill): on the ledger, the legs of the
        -- rows a statement wrote minus those of the rows it replaced, each with its parent rows
        -- as they are, locked first (_recon.guard_parent_lock_sql) so that a concurrent change
        -- of one is read as committed, or waits for this transaction.
        v_branches := jsonb_build_object(
            'ledger_insert', jsonb_build_object(
                'table', p_ledger.relid::regclass::text, 'ledger', TRUE,
                'changed', 'EXISTS (SELECT FROM recon_new)',
                'lock', to_jsonb(_recon.guard_parent_lock_sql(p_ledger, 'recon_new')),
                'delta', _recon.guard_drift_legs_sql(
                    p_ledger, p_id, v_cols,
                    _recon.legs_query(p_ledger, '{"r": "recon_new"}', NULL), NULL)),
            'ledger_update', jsonb_build_object(
                'table', p_ledger.relid::regclass::text, 'ledger', TRUE,
                'changed', 'EXISTS (SELECT FROM recon_new)',
                'lock', to_jsonb(_recon.guard_parent_lock_sql(p_ledger, 'recon_new')
                                 || _recon.guard_parent_lock_sql(p_ledger, 'recon_old')),
                'delta', _recon.guard_drift_legs_sql(
                    p_ledger, p_id, v_cols,
                    _recon.legs_query(p_ledger, '{"r": "recon_new"}', NULL),
                    _recon.legs_query(p_ledger, '{"r": "recon_old"}', NULL))),
            'ledger_delete', jsonb_build_object(
                'table', p_ledger.relid::regclass::text, 'ledger', TRUE,
                'changed', 'EXISTS (SELECT FROM recon_old)',
                'lock', to_jsonb(_recon.guard_parent_lock_sql(p_ledger, 'recon_old')),
                'delta', _recon.guard_drift_legs_sql(
                    p_ledger, p_id, v_cols, NULL,
                    _recon.legs_query(p_ledger, '{"r": "recon_old"}', NULL))));
        -- Statements that overlap (a data-modifying WITH, a trigger's statement) read each
        -- other's rows as they end: a BEFORE statement trigger on each table opens a window
        -- that the AFTER trigger closes, and a window that changed the legs through a parent
        -- table and through another table is refused (_recon.guard_drift_window).
        v_triggers := v_triggers || jsonb_build_array(jsonb_build_object(
            'table', p_ledger.relid::regclass::text,
            'trigger', format('recon_guard_%s_ledger_begin', p_id),
            'definition', format('BEFORE INSERT OR UPDATE OR DELETE ON %s FOR EACH STATEMENT '
                                 || 'EXECUTE FUNCTION %s(%L)',
                                 p_ledger.relid::regclass, v_begin, p_id)))
            || _recon.guard_statement_triggers(
                p_ledger.relid, p_id, 'ledger', ARRAY['insert', 'update', 'delete'],
                format('_recon.tg_drift_%s_legs', p_id));
        -- On each parent table, an UPDATE that changes a column the legs read changes the
        -- effects of the ledger rows under the rows it wrote (_recon.guard_parent_sql): their
        -- legs as they are now, minus their legs over the table as it was. (An INSERT or a
        -- DELETE changes none: the foreign key each parent needs, validated, not deferrable
        -- and without cascades, keeps ledger rows from pointing to a parent row that is not
        -- there; a DELETE whose key is written again in the statement is refused.)
        FOR v_table IN SELECT t.relid, t.n, t.aliases FROM _recon.guard_parent_tables(p_ledger) AS t
        LOOP
            v_parent := _recon.guard_parent_sql(p_ledger, v_table.relid, v_table.aliases);
            v_branches := v_branches || jsonb_build_object(
                format('parent%s_delete', v_table.n), jsonb_build_object(
                    'table', v_table.relid::regclass::text, 'changed', 'FALSE',
                    'reborn', v_parent ->> 'reborn'),
                format('parent%s_update', v_table.n), jsonb_build_object(
                    'table', v_table.relid::regclass::text,
                    'changed', v_parent ->> 'changed',
                    -- the rows of the parents reached through the rows written (a
                    -- transaction's parent transaction), locked as the ledger's are
                    'lock', to_jsonb(_recon.guard_parent_lock_sql(
                        p_ledger, 'recon_new', ARRAY(SELECT jsonb_object_keys(v_table.aliases)))),
                    'delta', _recon.guard_drift_legs_sql(
                        p_ledger, p_id, v_cols,
                        _recon.legs_query(p_ledger, NULL, v_parent ->> 'where'),
                        _recon.legs_query(p_ledger, v_parent -> 'swap', v_parent ->> 'where'))));
            v_triggers := v_triggers || jsonb_build_array(jsonb_build_object(
                'table', v_table.relid::regclass::text,
                'trigger', format('recon_guard_%s_parent%s_begin', p_id, v_table.n),
                'definition', format('BEFORE UPDATE OR DELETE ON %s FOR EACH STATEMENT '
                                     || 'EXECUTE FUNCTION %s(%L)',
                                     v_table.relid::regclass, v_begin, p_id)))
                || _recon.guard_statement_triggers(
                    v_table.relid, p_id, 'parent' || v_table.n, ARRAY['update', 'delete'],
                    format('_recon.tg_drift_%s_legs', p_id));
        END LOOP;
        IF v_block THEN
            -- each branch closes its statement in the sealed window
            SELECT jsonb_object_agg(b.key, b.value || jsonb_build_object(
                       'window', '_recon.guard_drift_window_sealed'))
            INTO v_branches FROM jsonb_each(v_branches) AS b;
        END IF;
    END IF;

    -- Row and statement triggers do not see a TRUNCATE: a statement trigger refuses it, on
    -- every table the guard reads.
    SELECT v_triggers || jsonb_agg(jsonb_build_object(
               'table', x.relid::regclass::text,
               'trigger', format('recon_guard_%s_%s_truncate', p_id, x.side),
               'definition', format('BEFORE TRUNCATE ON %s FOR EACH STATEMENT '
                                    || 'EXECUTE FUNCTION _recon.tg_guard_drift_truncate(%L, %L)',
                                    x.relid::regclass, p_id, x.kind)) ORDER BY x.o)
    INTO v_triggers
    FROM (SELECT 1 AS o, p_wallet.relid, 'wallet' AS side, 'wallet' AS kind
          UNION ALL SELECT 2, p_ledger.relid, 'ledger', 'ledger'
          UNION ALL
          SELECT 2 + t.n, t.relid, 'parent' || t.n, 'ledger'
          FROM _recon.guard_parent_tables(p_ledger) AS t
          WHERE v_legs AND t.relid NOT IN (p_wallet.relid, p_ledger.relid)) AS x;

    RETURN jsonb_build_object(
        'sql', v_sql, 'triggers', v_triggers,
        'functions', (
            SELECT jsonb_agg(jsonb_build_object(
                       'function', format('_recon.tg_drift_%s_%s()', p_id, s.side),
                       'definition', CASE WHEN s.side = 'legs'
                           THEN _recon.guard_drift_legs_function(p_id, v_branches)
                           ELSE _recon.guard_drift_function(p_id, s.side, p_ledger, p_wallet,
                                                            v_cols) END)
                       ORDER BY s.o)
            FROM unnest(v_sides
                        || CASE WHEN v_block THEN ARRAY[]::text[] ELSE ARRAY['check'] END
                        || CASE WHEN v_legs THEN ARRAY['legs'] ELSE ARRAY[]::text[] END)
                WITH ORDINALITY AS s (side, o)));
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_compile(integer, _recon.ledger_source, _recon.wallet_source)
IS
'Compiles a drift guard: {"sql", "triggers", "functions"}. Row trigger functions generated for '
'the wallet table and the ledger add what each row changed to a transaction-local accumulator, '
'judged at commit by a deferred constraint trigger (check_on). A ledger whose effects a row '
'alone does not give (keyed on several columns, or reading parent rows) has statement triggers '
'instead (a generated _recon.tg_drift_<id>_legs(), _recon.guard_drift_legs_function), on the '
'ledger and on each parent table (UPDATE), adding what each statement moved through the legs '
'relation (_recon.guard_drift_legs_sql). TRUNCATE is '
'refused on every table it reads.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_compile(
    integer, _recon.ledger_source, _recon.wallet_source
) FROM PUBLIC;
