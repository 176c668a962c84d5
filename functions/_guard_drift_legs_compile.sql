-- _recon.guard_drift_legs_compile(): a drift guard on a ledger read through its legs relation.
CREATE OR REPLACE FUNCTION _recon.guard_drift_legs_compile(
    p_id integer, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source, p_cols text[],
    p_sql jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_sql jsonb := p_sql;
    v_triggers jsonb;
    v_check_on text := COALESCE((SELECT g.options ->> 'check_on' FROM _recon.guard AS g
                                 WHERE g.id = p_id), 'wallet');
    v_table record;
    v_parent jsonb;
    v_where text;
    v_old text;
    v_op text;
BEGIN
    -- The wallet table keeps its row trigger (stored changes into the transaction-local
    -- accumulator, as for every drift guard) and the commit-time check.
    v_triggers := jsonb_build_array(
        jsonb_build_object(
            'table', p_wallet.relid::regclass::text,
            'trigger', format('recon_guard_%s_wallet', p_id),
            'definition', format('AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW '
                                 || 'EXECUTE FUNCTION _recon.tg_drift_%s_wallet()',
                                 p_wallet.relid::regclass, p_id)),
        jsonb_build_object(
            'table', CASE v_check_on WHEN 'ledger' THEN p_ledger.relid
                                     ELSE p_wallet.relid END::regclass::text,
            'trigger', format('recon_guard_%s_%s_check', p_id, v_check_on),
            'constraint', TRUE,
            'definition', format('AFTER INSERT OR UPDATE OR DELETE ON %s DEFERRABLE INITIALLY '
                                 || 'DEFERRED FOR EACH ROW EXECUTE FUNCTION _recon.tg_drift_%s_check()',
                                 CASE v_check_on WHEN 'ledger' THEN p_ledger.relid
                                                 ELSE p_wallet.relid END::regclass, p_id)));

    -- The ledger: per statement, the legs of the rows it wrote minus those of the rows it
    -- replaced or deleted, each read with its parent rows as they are.
    v_sql := v_sql || jsonb_build_object(
        'ledger_insert', _recon.guard_drift_legs_sql(
            p_ledger, p_id, p_cols, _recon.legs_query(p_ledger, '{"r": "recon_new"}', NULL), NULL),
        'ledger_update', _recon.guard_drift_legs_sql(
            p_ledger, p_id, p_cols, _recon.legs_query(p_ledger, '{"r": "recon_new"}', NULL),
            _recon.legs_query(p_ledger, '{"r": "recon_old"}', NULL)),
        'ledger_delete', _recon.guard_drift_legs_sql(
            p_ledger, p_id, p_cols, NULL, _recon.legs_query(p_ledger, '{"r": "recon_old"}', NULL)));
    v_triggers := v_triggers || _recon.guard_statement_triggers(
        p_ledger.relid, p_id, 'ledger', ARRAY['insert', 'update', 'delete'],
        '_recon.tg_guard_drift_legs');

    -- Each parent table: a statement that writes it can change the effects of ledger rows it
    -- does not touch: those under the rows it wrote (_recon.guard_parent_sql), their legs as
    -- they are now minus their legs over the table as it was before the statement.
    FOR v_table IN SELECT t.relid, t.n, t.aliases FROM _recon.guard_parent_tables(p_ledger) AS t
    LOOP
        FOREACH v_op IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
            v_parent := _recon.guard_parent_sql(v_table.relid, v_table.aliases, v_op);
            v_where := v_parent ->> 'where';
            v_old := _recon.legs_query(p_ledger, v_parent -> 'swap', v_where);
            v_sql := v_sql || jsonb_build_object(
                format('parent%s_%s', v_table.n, v_op), _recon.guard_drift_legs_sql(
                    p_ledger, p_id, p_cols, _recon.legs_query(p_ledger, NULL, v_where), v_old));
        END LOOP;
        v_triggers := v_triggers || _recon.guard_statement_triggers(
            v_table.relid, p_id, 'parent' || v_table.n, ARRAY['insert', 'update', 'delete'],
            '_recon.tg_guard_drift_legs');
    END LOOP;

    -- Row and statement triggers do not see a TRUNCATE: a statement trigger refuses it.
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
          WHERE t.relid NOT IN (p_wallet.relid, p_ledger.relid)) AS x;

    RETURN jsonb_build_object(
        'sql', v_sql, 'triggers', v_triggers,
        'functions', jsonb_build_array(
            jsonb_build_object(
                'function', format('_recon.tg_drift_%s_wallet()', p_id),
                'definition', _recon.guard_drift_function(p_id, 'wallet', p_ledger, p_wallet,
                                                          p_cols)),
            jsonb_build_object(
                'function', format('_recon.tg_drift_%s_check()', p_id),
                'definition', _recon.guard_drift_function(p_id, 'check', p_ledger, p_wallet,
                                                          p_cols))));
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_legs_compile(
    integer, _recon.ledger_source, _recon.wallet_source, text[], jsonb
) IS
'Compiles a drift guard on a ledger whose effects a row alone does not give (keyed on several '
'columns, or reading parent rows): the wallet table''s row trigger and commit-time check as for '
'any drift guard; statement triggers (_recon.tg_guard_drift_legs) on the ledger, adding what '
'each statement moved through the legs relation, and on each parent table, adding the change '
'of the legs of the ledger rows reached through the parent rows the statement wrote (their '
'legs now minus their legs over the table as it was); TRUNCATE refused on all of them.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_legs_compile(
    integer, _recon.ledger_source, _recon.wallet_source, text[], jsonb
) FROM PUBLIC;
