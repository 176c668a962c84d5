-- _recon.fix_post_first_sql(): the SQL a ledger-first posting reads and aligns wallets with.
CREATE OR REPLACE FUNCTION _recon.fix_post_first_sql(
    p_ws _recon.wallet_source, OUT read_sql text, OUT write_sql text
)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_key_type regtype := _recon.column_type(p_ws.relid, p_ws.key_column);
    -- the balance columns a posting may write (not a GENERATED one), and those it compares
    -- (not one computed from those it writes, which follows them)
    v_cols text[] := _recon.writable_balance_columns(p_ws);
    v_compared text[] := ARRAY(SELECT b FROM unnest(p_ws.balance_columns) AS b
                               WHERE b <> ALL (_recon.derived_balance_columns(p_ws)));
BEGIN
    -- the wallets' stored balances, in major units (as the plan and the ledger sums have
    -- them), and their version: {wallet: {"stored": {column: value}, "version": n}}
    read_sql := format(
        'SELECT jsonb_object_agg(w.%1$I::text, jsonb_build_object(''stored'', '
        || '%2$s, ''version'', %3$s)) FROM %4$s AS w '
        || 'WHERE w.%1$I = ANY ($1::%5$s[])',
        p_ws.key_column,
        _recon.stored_balances_sql(p_ws, v_compared),
        CASE WHEN p_ws.version_column IS NOT NULL THEN format('w.%I', p_ws.version_column)
             ELSE 'NULL::bigint' END,
        p_ws.relid::regclass, v_key_type);
    -- one wallet ($1) set to the balances $2 gives ({column: major units}), written in the
    -- wallet's own units (whole minor units where it has a scale, RC321 else); its version +1
    write_sql := format(
        'UPDATE %1$s AS w SET %2$s WHERE w.%3$I = $1::%4$s',
        p_ws.relid::regclass,
        array_to_string(ARRAY(
            SELECT format(
                '%1$I = COALESCE(%2$s, w.%1$I)', b,
                _recon.minor_sql(p_ws.balance_scale, format('($2 ->> %L)::numeric', b),
                                 CASE WHEN p_ws.balance_scale ? 'column'
                                      THEN format('w.%I', p_ws.balance_scale ->> 'column')
                                 END,
                                 format('column %s of %s', b, p_ws.relid::regclass)))
            FROM unnest(v_cols) WITH ORDINALITY AS u (b, n)
            ORDER BY u.n)
            || CASE WHEN p_ws.version_column IS NOT NULL
                    THEN ARRAY[format('%1$I = w.%1$I + 1', p_ws.version_column)]
                    ELSE ARRAY[]::text[] END, ', '),
        p_ws.key_column, v_key_type);
END;
$body$;

COMMENT ON FUNCTION _recon.fix_post_first_sql(_recon.wallet_source) IS
'For _recon.fix_post_first: read_sql reads wallets $1 (text keys) of wallet source p_ws as '
'{wallet: {"stored": {column: major units}, "version": n}}, leaving out GENERATED balance '
'columns computed from the others (_recon.derived_balance_columns); write_sql sets wallet '
'$1''s balance columns but the GENERATED ones to $2 ({column: major units}, written as whole '
'minor units where the source has a scale) and bumps its version column.';

REVOKE EXECUTE ON FUNCTION _recon.fix_post_first_sql(_recon.wallet_source) FROM PUBLIC;
