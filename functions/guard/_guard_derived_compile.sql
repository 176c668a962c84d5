-- _recon.guard_derived_compile(): the SQL and triggers of a derived guard.
CREATE OR REPLACE FUNCTION _recon.guard_derived_compile(
    p_id integer, p_check _recon.check_def, p_wallet _recon.wallet_source, p_relid oid
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_check _recon.check_def := p_check;
    v_wallet _recon.wallet_source := p_wallet;
    v_relid oid := p_relid;
    v_sql jsonb;
    v_triggers jsonb;
    v_key name;
    v_value name;
    v_col name;
    v_join name;
    v_minus text := '0';
    v_filter text := 'TRUE';
    v_key_type text;
    v_into CONSTANT text := 'INSERT INTO _recon.guard_pending AS p '
        || '(txid, guard_id, fix_id, item, col, stored, ledger) ';
BEGIN
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
            -- the column its source rows name it by (an owner) changed: other rows now count
            || 'OR n.%3$I IS DISTINCT FROM o.%3$I '
            || 'UNION ALL SELECT o.%1$I::text FROM recon_old AS o '
            || 'WHERE NOT EXISTS (SELECT FROM recon_new AS n WHERE n.%1$I = o.%1$I)) AS k '
            || 'WHERE k.key IS NOT NULL '
            || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING',
            v_wallet.key_column, v_col, v_join),
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
        || _recon.guard_statement_triggers(v_relid, p_id, 'source')
        -- row and statement triggers do not see a TRUNCATE: refused on both tables
        || _recon.guard_truncate_trigger(v_wallet.relid, p_id, 'wallet', 'wallet')
        || _recon.guard_truncate_trigger(v_relid, p_id, 'source', 'source');

    RETURN jsonb_build_object('sql', v_sql, 'triggers', v_triggers);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_derived_compile(
    integer, _recon.check_def, _recon.wallet_source, oid
) IS
'The part of _recon.guard_compile for a derived guard on check p_check (its wallets p_wallet, '
'its source table p_relid): {"sql", "triggers"}, the statement triggers on the wallet table '
'and the source table staging the wallets touched in _recon.guard_pending (a wallet whose '
'derived column, key or owner column changed), TRUNCATE refused on both, and the '
'commit-time comparison of one wallet''s derived column with its source rows ("check", '
'"orphan").';

REVOKE EXECUTE ON FUNCTION _recon.guard_derived_compile(
    integer, _recon.check_def, _recon.wallet_source, oid
) FROM PUBLIC;
