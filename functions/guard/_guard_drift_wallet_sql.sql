-- _recon.guard_drift_wallet_sql(): the body of a drift guard's wallet row trigger function.
CREATE OR REPLACE FUNCTION _recon.guard_drift_wallet_sql(
    p_id integer, p_wallet _recon.wallet_source, p_cols text[], p_exact boolean, p_first text
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_setting text := format('wallet_recon.drift_%s', p_id);
    -- several columns (warn mode): the branch writes the setting once, at its end
    v_once boolean := cardinality(p_cols) > 1
                      AND NOT EXISTS (SELECT FROM _recon.guard AS g
                                      WHERE g.id = p_id AND g.mode = 'block');
    -- what the table's definition rules out needs no code: NULL in a NOT NULL column, NaN in
    -- an integer one
    v_skip text := CASE WHEN _recon.guard_drift_nullable(p_wallet.relid, p_wallet.key_column)
                        THEN format('new.%I IS NULL OR ', p_wallet.key_column) ELSE '' END;
    v_type oid := _recon.column_type(p_wallet.relid, p_wallet.key_column);
    v_new text := _recon.guard_drift_key_sql(p_wallet.relid, p_wallet.key_column, 'new');
    v_old text := _recon.guard_drift_key_sql(p_wallet.relid, p_wallet.key_column, 'old');
    v_upd text[] := ARRAY[]::text[];
    v_ins text[] := ARRAY[]::text[];
    v_del text[] := ARRAY[]::text[];
    v_write boolean := cardinality(p_cols) = 1;
    v_null boolean;
    v_nan boolean;
    v_num text;
    v_eff text;
    v_i integer;
    v_col text;
BEGIN
    FOR v_i, v_col IN SELECT o, b FROM unnest(p_cols) WITH ORDINALITY AS c (b, o) LOOP
        v_null := _recon.guard_drift_nullable(p_wallet.relid, v_col);
        v_nan := _recon.column_type(p_wallet.relid, v_col) NOT IN ('smallint', 'integer', 'bigint');
        v_num := format('(new.%I)::pg_catalog.numeric', v_col);
        v_eff := format('(old.%I)::pg_catalog.numeric', v_col);
        v_upd := v_upd || _recon.guard_drift_record_sql(
            p_id, v_i, 's', v_new,
            _recon.guard_drift_trim_sql(format('%s OPERATOR(pg_catalog.-) %s', v_num, v_eff),
                                        p_exact),
            v_skip || format('%s OPERATOR(pg_catalog.=) %s', v_num, v_eff)
            || CASE WHEN v_null THEN format(' OR (new.%1$I IS NULL AND old.%1$I IS NULL)', v_col)
                    ELSE '' END,
            _recon.guard_drift_nan_sql(ARRAY[v_num, v_eff], v_null, v_nan), v_write, p_first);
        v_ins := v_ins || _recon.guard_drift_record_sql(
            p_id, v_i, 's', v_new, _recon.guard_drift_trim_sql(v_num, p_exact),
            v_skip || format('%s OPERATOR(pg_catalog.=) 0', v_num),
            _recon.guard_drift_nan_sql(ARRAY[v_num], v_null, v_nan), v_write, p_first);
        v_del := v_del || _recon.guard_drift_record_sql(
            p_id, v_i, 's', v_old,
            _recon.guard_drift_trim_sql(format('OPERATOR(pg_catalog.-) %s', v_eff), p_exact),
            replace(v_skip, 'new.', 'old.') || format('%s OPERATOR(pg_catalog.=) 0', v_eff),
            _recon.guard_drift_nan_sql(ARRAY[v_eff], v_null, v_nan), v_write, p_first);
    END LOOP;
    -- a re-key (an UPDATE of the wallet's key) is the old key's row deleted and the new key's
    -- inserted: accounted on both keys, so that neither keeps its entries' balance elsewhere
    RETURN _recon.template_fill(
$t$IF tg_op OPERATOR(pg_catalog.=) 'UPDATE' THEN
    IF {{same_key}} THEN
        {{update}}
    ELSE
        {{rekey}}
    END IF;
ELSIF tg_op OPERATOR(pg_catalog.=) 'INSERT' THEN
    {{insert}}
ELSE
    {{delete}}
END IF;$t$,
        jsonb_build_object(
            'same_key', format('%s OPERATOR(pg_catalog.=) %s',
                               _recon.guard_text_sql(v_type, format('new.%I', p_wallet.key_column)),
                               _recon.guard_text_sql(v_type, format('old.%I', p_wallet.key_column))),
            'update', _recon.guard_drift_branch_sql(v_upd, v_setting, v_once),
            'rekey', _recon.guard_drift_branch_sql(v_del || v_ins, v_setting, v_once),
            'insert', _recon.guard_drift_branch_sql(v_ins, v_setting, v_once),
            'delete', _recon.guard_drift_branch_sql(v_del, v_setting, v_once)));
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_wallet_sql(
    integer, _recon.wallet_source, text[], boolean, text
) IS
'The body of drift guard p_id''s wallet row trigger function (for _recon.guard_drift_function): '
'per case (UPDATE of the balances, re-key: the old key''s row deleted and the new one''s '
'inserted, INSERT, DELETE) the records of the stored change of each balance column of p_cols. '
'p_exact: amounts print alike untrimmed; p_first: the mark of a queued check (warn mode).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_wallet_sql(
    integer, _recon.wallet_source, text[], boolean, text
) FROM PUBLIC;
