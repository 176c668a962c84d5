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
    v_parent jsonb;
    v_branches jsonb;
    v_others jsonb;
    v_type text;
BEGIN
    -- Block mode: its functions run as the toolkit's owner, so no user's cast may run there,
    -- over its ledger and every other ledger it sums. Wallet keys, directions, operations and
    -- rule columns are read by their label (an enum passes), amounts and balances cast.
    IF v_block THEN
        SELECT x.col INTO v_type
        FROM (SELECT 1 AS o, p_ledger AS l
              UNION ALL
              SELECT 2, o FROM _recon.guard_drift_ledgers(p_ledger, v_cols) AS o) AS y
        CROSS JOIN LATERAL (SELECT _recon.guard_require_builtin_types(
            y.l, p_wallet,
            ARRAY[(y.l).wallet_column, (y.l).debit_wallet_column, (y.l).credit_wallet_column,
                  (y.l).amount_column, (y.l).direction_column, (y.l).operation_column],
            ARRAY[(y.l).wallet_column, (y.l).debit_wallet_column, (y.l).credit_wallet_column,
                  (y.l).direction_column, (y.l).operation_column]) AS col) AS x
        WHERE x.col IS NOT NULL
        ORDER BY y.o LIMIT 1;
        IF v_type IS NOT NULL THEN
            PERFORM _recon.fail(
                'RC406', format('a drift guard in block mode cannot read %s', v_type),
                'Its trigger functions run as the toolkit''s owner and convert the wallet '
                || 'keys, amounts and balances they read; a type made by a user can carry a '
                || 'cast that runs that user''s code, which would run as the toolkit''s owner.',
                'Use a built-in type (or a domain over one) for that column, or guard it in '
                || 'warn mode (which runs as the writer); docs/GUARDS.md "Block mode".');
        END IF;
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
        v_parent := _recon.guard_drift_legs_compile(p_id, p_ledger, v_cols, v_block);
        v_branches := v_parent -> 'branches';
        v_triggers := v_triggers || (v_parent -> 'triggers');
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

    -- the other ledgers a balance check sums on these columns: their effects count too
    v_others := _recon.guard_drift_others_compile(p_id, p_ledger, p_wallet, v_cols);
    RETURN jsonb_build_object(
        'sql', v_sql, 'triggers', v_triggers || (v_others -> 'triggers'),
        'sides', v_others -> 'sides',
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
                WITH ORDINALITY AS s (side, o)) || (v_others -> 'functions'));
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
'relation (_recon.guard_drift_legs_sql). The other ledgers a balance check sums on the same '
'columns get row triggers adding their effects to the same sums '
'(_recon.guard_drift_others_compile; "sides" names their relations). TRUNCATE is '
'refused on every table it reads.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_compile(
    integer, _recon.ledger_source, _recon.wallet_source
) FROM PUBLIC;
