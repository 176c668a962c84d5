-- _recon.guard_drift_leg_records(): the generated records of one leg of a ledger row, for each
-- case of a drift guard's ledger trigger function.
CREATE OR REPLACE FUNCTION _recon.guard_drift_leg_records(
    p_id integer, p_ledger _recon.ledger_source, p_cols text[], p_leg name, p_side text,
    p_exact boolean, p_first text, p_write boolean
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_null boolean := _recon.guard_drift_nullable(p_ledger.relid, p_ledger.amount_column);
    v_nan boolean := _recon.column_type(p_ledger.relid, p_ledger.amount_column)
                     NOT IN ('smallint', 'integer', 'bigint');
    v_key_null boolean := _recon.guard_drift_nullable(p_ledger.relid, p_leg);
    v_signed boolean := p_ledger.amount_mode = 'signed' AND p_ledger.filters IS NULL;
    v_new text := _recon.guard_drift_key_sql(p_ledger.relid, p_leg, 'new');
    v_old text := _recon.guard_drift_key_sql(p_ledger.relid, p_leg, 'old');
    v_ins text[] := ARRAY[]::text[];
    v_del text[] := ARRAY[]::text[];
    v_upd text[] := ARRAY[]::text[];
    v_mov text[] := ARRAY[]::text[];
    v_num text;
    v_eff text;
    v_i integer;
    v_col text;
BEGIN
    FOR v_i, v_col IN SELECT o, b FROM unnest(p_cols) WITH ORDINALITY AS c (b, o) LOOP
        -- another ledger the guard sums may move only some of its columns (numbered alike)
        CONTINUE WHEN p_ledger.effects -> v_col IS NULL;
        v_num := _recon.guard_drift_leg_sql(p_ledger, v_col, 'new', p_side);
        v_eff := _recon.guard_drift_leg_sql(p_ledger, v_col, 'old', p_side);
        -- inserted: an entry without a wallet moves none; an effect of zero (an operation
        -- that does not touch this column, a row the filters do not keep) adds nothing. A
        -- signed amount of zero is rare: its record stays and the commit check sums it (0
        -- against 0) instead of every entry paying for the test.
        v_ins := v_ins || _recon.guard_drift_record_sql(
            p_id, v_i, 'l', v_new, _recon.guard_drift_trim_sql(v_num, p_exact),
            NULLIF(concat_ws(' OR ', CASE WHEN v_key_null THEN format('new.%I IS NULL', p_leg) END,
                             CASE WHEN NOT v_signed
                                  THEN format('(%s) OPERATOR(pg_catalog.=) 0', v_num) END), ''),
            _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_num)], v_null, v_nan),
            p_write, p_first);
        -- deleted: its effect taken back
        v_del := v_del || _recon.guard_drift_record_sql(
            p_id, v_i, 'l', v_old, _recon.guard_drift_trim_sql(
                format('OPERATOR(pg_catalog.-) (%s)', v_eff), p_exact),
            format('old.%I IS NULL OR (%s) OPERATOR(pg_catalog.=) 0', p_leg, v_eff),
            _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_eff)], v_null, v_nan),
            p_write, p_first);
        -- updated, the same wallet: the change of the entry's effects, once (a filter column
        -- that changed makes the row count, or stop counting, here)
        v_upd := v_upd || _recon.guard_drift_record_sql(
            p_id, v_i, 'l', v_new, _recon.guard_drift_trim_sql(format(
                '(%s) OPERATOR(pg_catalog.-) (%s)', v_num, v_eff), p_exact),
            format('(%s) OPERATOR(pg_catalog.=) (%s)', v_num, v_eff),
            _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_num), format('(%s)', v_eff)],
                                       v_null, v_nan),
            p_write, p_first);
        -- updated, moved to another wallet, or from or to none: both sides
        v_mov := v_mov || _recon.guard_drift_record_sql(
            p_id, v_i, 'l', v_new, _recon.guard_drift_trim_sql(v_num, p_exact),
            format('new.%I IS NULL OR (%s) OPERATOR(pg_catalog.=) 0', p_leg, v_num),
            _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_num)], v_null, v_nan),
            FALSE, p_first)
            || _recon.guard_drift_record_sql(
            p_id, v_i, 'l', v_old, _recon.guard_drift_trim_sql(
                format('OPERATOR(pg_catalog.-) (%s)', v_eff), p_exact),
            format('old.%I IS NULL OR (%s) OPERATOR(pg_catalog.=) 0', p_leg, v_eff),
            _recon.guard_drift_nan_sql(ARRAY[format('(%s)', v_eff)], v_null, v_nan),
            FALSE, p_first);
    END LOOP;
    RETURN jsonb_build_object('insert', to_jsonb(v_ins), 'delete', to_jsonb(v_del),
                              'update', to_jsonb(v_upd), 'move', to_jsonb(v_mov));
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_leg_records(
    integer, _recon.ledger_source, text[], name, text, boolean, text, boolean
) IS
'The generated records (_recon.guard_drift_record_sql) of leg p_leg (the wallet column; p_side '
'debit or credit on a transfer row, NULL for an entry) of drift guard p_id''s ledger trigger '
'function, per balance column of p_cols: {"insert", "delete", "update" (the same wallet), '
'"move" (another wallet: both sides)}, each an array of PL/pgSQL fragments. p_write: each '
'record of insert, delete and update writes the setting itself (warn mode, one record per '
'branch).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_leg_records(
    integer, _recon.ledger_source, text[], name, text, boolean, text, boolean
) FROM PUBLIC;
