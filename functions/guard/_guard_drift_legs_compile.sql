-- _recon.guard_drift_legs_compile(): the statement triggers of a drift guard reading the legs
-- relation, and the branches of its generated function.
CREATE OR REPLACE FUNCTION _recon.guard_drift_legs_compile(
    p_id integer, p_ledger _recon.ledger_source, p_cols text[], p_block boolean
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_cols text[] := p_cols;
    v_block boolean := p_block;
    v_triggers jsonb := '[]'::jsonb;
    v_table record;
    v_parent jsonb;
    v_branches jsonb;
    -- the statement window: sealed in _recon.guard_window in block mode, else a setting
    v_begin text := CASE WHEN p_block THEN '_recon.tg_guard_drift_begin_sealed'
                         ELSE '_recon.tg_guard_drift_begin' END;
BEGIN
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
    RETURN jsonb_build_object('branches', v_branches, 'triggers', v_triggers);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_legs_compile(integer, _recon.ledger_source, text[], boolean)
IS
'The part of _recon.guard_drift_compile for a ledger read through its legs relation (parent '
'rows, kinds): {"branches", "triggers"}, the branches of the generated statement trigger '
'function (_recon.guard_drift_legs_function: what each statement on the ledger or a parent '
'table moved) and the BEFORE/AFTER statement triggers on the ledger and each parent table '
'(the BEFORE ones open the statement window: sealed in _recon.guard_window when p_block).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_legs_compile(
    integer, _recon.ledger_source, text[], boolean
) FROM PUBLIC;
