-- _recon.guard_drift_function(): a trigger function a drift guard puts on its tables,
-- generated with static SQL (PL/pgSQL caches its plans for the session).
CREATE OR REPLACE FUNCTION _recon.guard_drift_function(
    p_id integer, p_side text, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source,
    p_cols text[]
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_name text := format('_recon.tg_drift_%s_%s', p_id, p_side);
    v_setting text := format('wallet_recon.drift_%s', p_id);
    v_amount_type text := _recon.column_type_sql(p_ledger.relid, p_ledger.amount_column);
    v_exact boolean;
    v_body text;
    v_read text;
    v_first text;
    v_new text;
    v_old text;
    v_upd text;
    v_ins text;
    v_del text;
    v_mov text;
    v_num text;
    v_eff text;
    v_write boolean;
    v_skip text;
    v_null boolean;
    v_nan boolean;
    v_signed boolean := p_ledger.amount_mode = 'signed';
    v_key_null boolean := _recon.guard_drift_nullable(p_wallet.relid, p_wallet.key_column);
    v_many boolean;
    v_legs text;
    v_leg name;
    v_side text;
    v_i integer;
    v_col text;
    v_block boolean := EXISTS (SELECT FROM _recon.guard AS g
                               WHERE g.id = p_id AND g.mode = 'block');
    v_rekey text;
BEGIN
    -- Amounts are compared as text, so stored changes and ledger effects must print alike: they
    -- do when both columns have the same type with a fixed scale (numeric(14,2) and
    -- numeric(14,2)) or an integer type, and every multiplier is 1 or -1; otherwise the
    -- generated code trims trailing zeros (numeric 5.50 and 5.5 both become 5.5).
    v_exact := NOT EXISTS (
        SELECT FROM unnest(p_cols) AS b
        WHERE _recon.column_type_sql(p_wallet.relid, b) IS DISTINCT FROM v_amount_type
           OR NOT (v_amount_type LIKE '%(%' OR _recon.column_type(p_ledger.relid,
                   p_ledger.amount_column) IN ('smallint', 'integer', 'bigint'))
           OR EXISTS (SELECT FROM jsonb_each_text(p_ledger.effects -> b) AS e
                      WHERE e.value::numeric NOT IN (1, -1)));

    v_read := CASE WHEN v_block THEN '' ELSE format(
        E'    v_acc := COALESCE(pg_catalog.current_setting(%L, TRUE), \'\');\n', v_setting) END;
    -- the first record of a transaction: the table with the constraint trigger (the option
    -- check_on, the wallet table by default) has queued the check; the other table queues one
    v_first := CASE WHEN p_side = COALESCE((SELECT g.options ->> 'check_on'
                                            FROM _recon.guard AS g WHERE g.id = p_id), 'wallet')
                    THEN '''*''' ELSE format('_recon_guard.drift_tick(%s)', p_id) END;
    IF p_side = 'check' THEN
        -- The deferred constraint trigger (on the wallet table, or the ledger with check_on;
        -- and a tick's, _recon_guard.drift_tick):
        -- the first to run at commit finds everything the transaction wrote, empties the
        -- accumulator and judges what is left; '*' alone (all balanced) needs no query.
        v_body := v_read
            || E'    IF v_acc OPERATOR(pg_catalog.=) \'\' THEN\n        RETURN NULL;\n    END IF;\n'
            || format(E'    IF pg_catalog.set_config(%L, \'\', TRUE) OPERATOR(pg_catalog.||) v_acc '
                      || E'OPERATOR(pg_catalog.<>) \'*\' THEN\n'
                      || E'        PERFORM _recon_guard.drift_verdict(%s, v_acc);\n    END IF;\n',
                      v_setting, p_id);
    ELSIF p_side = 'wallet' THEN
        -- what the table's definition rules out needs no code: NULL in a NOT NULL column,
        -- NaN in an integer one
        v_skip := CASE WHEN v_key_null THEN format('new.%I IS NULL OR ', p_wallet.key_column)
                       ELSE '' END;
        v_upd := '';
        v_ins := '';
        v_del := '';
        FOR v_i, v_col IN SELECT o, b FROM unnest(p_cols) WITH ORDINALITY AS c (b, o) LOOP
            v_write := cardinality(p_cols) = 1;
            v_null := _recon.guard_drift_nullable(p_wallet.relid, v_col);
            v_nan := _recon.column_type(p_wallet.relid, v_col)
                     NOT IN ('smallint', 'integer', 'bigint');
            v_num := format('(new.%I)::pg_catalog.numeric', v_col);
            v_eff := format('(old.%I)::pg_catalog.numeric', v_col);
            v_upd := v_upd || _recon.guard_drift_record_sql(
                p_id, v_i, 's', _recon.guard_drift_key_sql(p_wallet.relid, p_wallet.key_column,
                                                           'new'),
                _recon.guard_drift_trim_sql(format('%s OPERATOR(pg_catalog.-) %s', v_num, v_eff),
                                            v_exact),
                v_skip || format('%s OPERATOR(pg_catalog.=) %s', v_num, v_eff)
                || CASE WHEN v_null THEN format(' OR (new.%1$I IS NULL AND old.%1$I IS NULL)',
                                                v_col) ELSE '' END,
                _recon.guard_drift_nan_sql(ARRAY[v_num, v_eff], v_null, v_nan), v_write, v_first)
                || E'\n';
            v_ins := v_ins || _recon.guard_drift_record_sql(
                p_id, v_i, 's', _recon.guard_drift_key_sql(p_wallet.relid, p_wallet.key_column,
                                                           'new'),
                _recon.guard_drift_trim_sql(v_num, v_exact),
                v_skip || format('%s OPERATOR(pg_catalog.=) 0', v_num),
                _recon.guard_drift_nan_sql(ARRAY[v_num], v_null, v_nan), v_write, v_first) || E'\n';
            v_del := v_del || _recon.guard_drift_record_sql(
                p_id, v_i, 's', _recon.guard_drift_key_sql(p_wallet.relid, p_wallet.key_column,
                                                           'old'),
                _recon.guard_drift_trim_sql(format('OPERATOR(pg_catalog.-) %s', v_eff), v_exact),
                replace(v_skip, 'new.', 'old.') || format('%s OPERATOR(pg_catalog.=) 0', v_eff),
                _recon.guard_drift_nan_sql(ARRAY[v_eff], v_null, v_nan), v_write, v_first) || E'\n';
        END LOOP;
        -- a re-key (an UPDATE of the wallet's key) is the old key's row deleted and the new
        -- key's inserted: accounted on both keys, so that neither keeps its entries'
        -- balance elsewhere
        v_rekey := format(E'(new.%1$I)::pg_catalog.text OPERATOR(pg_catalog.=) '
                          || '(old.%1$I)::pg_catalog.text', p_wallet.key_column);
        v_body := v_read
            || E'    IF tg_op OPERATOR(pg_catalog.=) \'UPDATE\' THEN\n'
            || format(E'        IF %s THEN\n', v_rekey)
            || regexp_replace(rtrim(_recon.guard_drift_indent_sql(
                   v_upd, v_setting, NOT v_block AND cardinality(p_cols) > 1), E'\n'),
                   '^', '    ', 'gn')
            || E'\n        ELSE\n'
            || regexp_replace(rtrim(_recon.guard_drift_indent_sql(
                   v_del || v_ins, v_setting, NOT v_block AND cardinality(p_cols) > 1), E'\n'),
                   '^', '    ', 'gn')
            || E'\n        END IF;\n'
            || E'    ELSIF tg_op OPERATOR(pg_catalog.=) \'INSERT\' THEN\n'
            || _recon.guard_drift_indent_sql(v_ins, v_setting,
                                             NOT v_block AND cardinality(p_cols) > 1)
            || E'    ELSE\n'
            || _recon.guard_drift_indent_sql(v_del, v_setting,
                                             NOT v_block AND cardinality(p_cols) > 1)
            || E'    END IF;\n';

    ELSE  -- ledger: each leg's effects (the entry, or both sides of a transfer row), negated
          -- for an entry deleted or replaced; zero for a row the entry filters do not keep
        v_ins := '';
        v_del := '';
        v_legs := '';
        v_null := _recon.guard_drift_nullable(p_ledger.relid, p_ledger.amount_column);
        v_nan := _recon.column_type(p_ledger.relid, p_ledger.amount_column)
                 NOT IN ('smallint', 'integer', 'bigint');
        -- a transfer row writes two records per column: the setting is written once, at the
        -- end of the branch
        v_many := cardinality(p_cols) > 1 OR p_ledger.shape = 'transfer';
        v_signed := v_signed AND p_ledger.filters IS NULL;
        FOR v_leg, v_side IN
            SELECT x.c, x.s FROM (VALUES (1, p_ledger.wallet_column, NULL::text),
                                         (2, p_ledger.debit_wallet_column, 'debit'),
                                         (3, p_ledger.credit_wallet_column, 'credit'))
                AS x (o, c, s)
            WHERE x.c IS NOT NULL ORDER BY x.o
        LOOP
            v_key_null := _recon.guard_drift_nullable(p_ledger.relid, v_leg);
            v_new := _recon.guard_drift_key_sql(p_ledger.relid, v_leg, 'new');
            v_old := _recon.guard_drift_key_sql(p_ledger.relid, v_leg, 'old');
            v_upd := '';
            v_mov := '';
            FOR v_i, v_col IN SELECT o, b FROM unnest(p_cols) WITH ORDINALITY AS c (b, o) LOOP
                v_write := NOT v_many;
                v_num := _recon.guard_drift_leg_sql(p_ledger, v_col, 'new', v_side);
                v_eff := _recon.guard_drift_leg_sql(p_ledger, v_col, 'old', v_side);
                -- an entry without a wallet moves none; an effect of zero (an operation that
                -- does not touch this column, a row the filters do not keep) adds nothing. A
                -- signed amount of zero is rare: its record stays and the commit check sums it
                -- (0 against 0) instead of every entry paying for the test.
                v_ins := v_ins || _recon.guard_drift_record_sql(
                    p_id, v_i, 'l', v_new, _recon.guard_drift_trim_sql(v_num, v_exact),
                    NULLIF(concat_ws(' OR ', CASE WHEN v_key_null
                                                  THEN format('new.%I IS NULL', v_leg) END,
                                     CASE WHEN NOT v_signed
                                          THEN format('(%s) OPERATOR(pg_catalog.=) 0', v_num)
                                     END),
                           ''),
                    _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_num)], v_null, v_nan),
                    v_write, v_first)
                    || E'\n';
                v_del := v_del || _recon.guard_drift_record_sql(
                    p_id, v_i, 'l', v_old, _recon.guard_drift_trim_sql(
                        format('OPERATOR(pg_catalog.-) (%s)', v_eff), v_exact),
                    format('old.%I IS NULL OR (%s) OPERATOR(pg_catalog.=) 0', v_leg, v_eff),
                    _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_eff)], v_null, v_nan),
                    v_write, v_first)
                    || E'\n';
                -- the same wallet: the change of the entry's effects, once (a filter column
                -- that changed makes the row count, or stop counting, here)
                v_upd := v_upd || _recon.guard_drift_record_sql(
                    p_id, v_i, 'l', v_new, _recon.guard_drift_trim_sql(format(
                        '(%s) OPERATOR(pg_catalog.-) (%s)', v_num, v_eff), v_exact),
                    format('(%s) OPERATOR(pg_catalog.=) (%s)', v_num, v_eff),
                    _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_num),
                                                     format('(%s)', v_eff)], v_null, v_nan),
                    v_write, v_first) || E'\n';
                -- moved to another wallet, or from or to none: both sides
                v_mov := v_mov || _recon.guard_drift_record_sql(
                    p_id, v_i, 'l', v_new, _recon.guard_drift_trim_sql(v_num, v_exact),
                    format('new.%I IS NULL OR (%s) OPERATOR(pg_catalog.=) 0', v_leg, v_num),
                    _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_num)], v_null, v_nan),
                    FALSE, v_first)
                    || E'\n' || _recon.guard_drift_record_sql(
                    p_id, v_i, 'l', v_old, _recon.guard_drift_trim_sql(
                        format('OPERATOR(pg_catalog.-) (%s)', v_eff), v_exact),
                    format('old.%I IS NULL OR (%s) OPERATOR(pg_catalog.=) 0', v_leg, v_eff),
                    _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_eff)], v_null, v_nan),
                    FALSE, v_first)
                    || E'\n';
            END LOOP;
            -- an UPDATE, per leg: the same wallet or another one
            v_legs := v_legs
                || format(E'IF (new.%1$I)::pg_catalog.text OPERATOR(pg_catalog.=) '
                          || E'(old.%1$I)::pg_catalog.text THEN\n', v_leg)
                || regexp_replace(rtrim(v_upd, E'\n'), '^', '    ', 'gn')
                || E'\nELSE\n' || regexp_replace(rtrim(v_mov, E'\n'), '^', '    ', 'gn')
                || E'\nEND IF;\n';
        END LOOP;
        v_body := v_read
            || E'    IF tg_op OPERATOR(pg_catalog.=) \'INSERT\' THEN\n'
            || _recon.guard_drift_indent_sql(v_ins, v_setting, NOT v_block AND v_many)
            || E'    ELSIF tg_op OPERATOR(pg_catalog.=) \'DELETE\' THEN\n'
            || _recon.guard_drift_indent_sql(v_del, v_setting, NOT v_block AND v_many);
        IF p_ledger.shape = 'transfer' THEN
            v_body := v_body || E'    ELSE\n'
                || _recon.guard_drift_indent_sql(v_legs, v_setting, NOT v_block);
        ELSE  -- one leg: its two cases are branches of this IF
            v_body := v_body
                || format(E'    ELSIF (new.%1$I)::pg_catalog.text OPERATOR(pg_catalog.=) '
                          || E'(old.%1$I)::pg_catalog.text THEN\n', p_ledger.wallet_column)
                || _recon.guard_drift_indent_sql(v_upd, v_setting, NOT v_block AND v_many)
                || E'    ELSE\n'
                || _recon.guard_drift_indent_sql(v_mov, v_setting, NOT v_block);
        END IF;
        v_body := v_body || E'    END IF;\n';
    END IF;
    IF v_block AND p_side <> 'check' THEN
        -- sealed: the transaction's first row queues the one commit-time check (a row of
        -- _recon.guard_tick, whose deferred constraint trigger judges _recon.guard_spill), marked
        -- by a row of its own (item '', column 0) that a rollback to a savepoint takes back
        -- with the tick
        v_body := v_body || format(
            E'    INSERT INTO _recon.guard_spill AS s (txid, guard_id, item, col)\n'
            || E'        VALUES (pg_catalog.pg_current_xact_id(), %1$s, \'\', 0)\n'
            || E'        ON CONFLICT (txid, guard_id, item, col) DO NOTHING;\n'
            || E'    IF FOUND THEN\n'
            || E'        PERFORM _recon_guard.drift_tick(%1$s);\n'
            || E'    END IF;\n', p_id);
    END IF;

    -- Not SECURITY DEFINER: it runs as whoever writes (a trigger needs no EXECUTE right), with
    -- every name and operator schema-qualified so that the writer's search_path changes
    -- nothing; what needs the toolkit's rights (a tick, a spill, the verdict) goes through the
    -- SECURITY DEFINER functions of _recon_guard. No SET clause: a pinned search_path would
    -- cost each call a GUC save and restore (docs/PERFORMANCE.md).
    RETURN format($fn$CREATE OR REPLACE FUNCTION %1$s()
RETURNS trigger
LANGUAGE plpgsql%7$s
AS $gen$
-- Generated by recon.enable_guard() for drift guard %2$s (ledger source %3$s): %4$s
-- Every name and operator is schema-qualified. recon.disable_guard() drops it.
%6$sBEGIN
%5$s    RETURN NULL;
END;
$gen$$fn$,
        v_name, p_id, p_ledger.name,
        CASE WHEN v_block THEN format(E'adds what this row\n-- changed (%s) to '
                                     || '_recon.guard_spill (block mode, sealed), judged at '
                                     || 'commit by _recon.tg_guard_tick().',
                                     CASE p_side WHEN 'wallet' THEN 'stored balances'
                                                 ELSE 'ledger effects' END)
            ELSE CASE p_side
            WHEN 'check' THEN format(E'judges, at commit, what\n-- the row triggers added up '
                                     || 'in the transaction-local setting %s.', v_setting)
            ELSE format(E'adds what this row\n-- changed (%s) to the transaction-local setting '
                        || '%s, judged at commit by _recon.tg_drift_%s_check().',
                        CASE p_side WHEN 'wallet' THEN 'stored balances' ELSE 'ledger effects' END,
                        v_setting, p_id) END END,
        v_body,
        -- block mode (sealed) keeps no accumulator: no variable
        CASE WHEN v_block THEN E'DECLARE\n'
             WHEN p_side <> 'check'
             THEN E'DECLARE\n    v_acc pg_catalog.text;\n    v_rec pg_catalog.text;\n'
                  || E'    v_at pg_catalog.int4;\n'
             ELSE E'DECLARE\n    v_acc pg_catalog.text;\n' END,
        CASE WHEN v_block
             THEN E'\nSECURITY DEFINER\nSET search_path = pg_catalog, pg_temp' ELSE '' END);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_function(
    integer, text, _recon.ledger_source, _recon.wallet_source, text[]
) IS
'CREATE FUNCTION statement of a drift guard''s trigger function: p_side wallet (row trigger on '
'the wallet table: stored changes) or ledger (row trigger on the ledger: ledger effects), '
'static PL/pgSQL adding, per wallet and balance column, what the row changed to the '
'transaction-local setting wallet_recon.drift_<guard id>; p_side check (deferred constraint '
'trigger on the wallet table): judges that setting at commit. Not SECURITY DEFINER (they run '
'as the writer, every name and operator schema-qualified); ticks, spills and verdicts go '
'through _recon_guard. In block mode (sealed) they are SECURITY DEFINER and keep the sums in '
'_recon.guard_spill (_recon.guard_drift_seal_sql), judged at commit through the tick its first '
'row queues (_recon.tg_guard_tick); no setting, no check function. An '
'UPDATE of the wallet key counts on both keys (the old row deleted, the new inserted).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_function(
    integer, text, _recon.ledger_source, _recon.wallet_source, text[]
) FROM PUBLIC;
