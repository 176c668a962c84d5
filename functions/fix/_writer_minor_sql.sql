-- _recon.writer_minor_sql(): an INSERT writer's values, the amounts written in minor units.
CREATE OR REPLACE FUNCTION _recon.writer_minor_sql(
    p_ledger _recon.ledger_source, p_cols text[], p_vals text[]
)
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_vals text[] := p_vals;
    v_scale text;
    v_col text;
    v_key text;
    v_at integer;
BEGIN
    -- 1. The scale of the row: fixed, or the value the writer writes into its scale column
    --    (a constant of "columns", e.g. {"precision": "100"}).
    IF p_ledger.amount_scale ? 'column' THEN
        v_at := array_position(p_cols, quote_ident(p_ledger.amount_scale ->> 'column'));
        IF v_at IS NULL THEN
            PERFORM _recon.fail(
                'RC305', format('writer for %s does not set %I, the scale of its amounts',
                                p_ledger.name, p_ledger.amount_scale ->> 'column'),
                format('Ledger %s reads each amount in minor units at the scale of its row (%s): '
                       || 'the toolkit cannot choose it.', p_ledger.name,
                       p_ledger.amount_scale),
                format('Map it in "columns", e.g. {"%s": "%s"}.',
                       p_ledger.amount_scale ->> 'column',
                       CASE WHEN p_ledger.amount_scale ->> 'as' = 'multiplier' THEN '100'
                            ELSE '2' END));
        END IF;
        v_scale := v_vals[v_at];
    END IF;
    -- 2. The amount and each running balance, from the posting ($1), as whole minor units.
    FOR v_col, v_key IN
        SELECT p_ledger.amount_column::text, '$1 ->> ''amount'''
        UNION ALL SELECT p_ledger.balance_after_column, '$1 ->> ''balance_after'''
        WHERE p_ledger.balance_after_column IS NOT NULL
        UNION ALL SELECT a.value #>> '{}', format('$1 -> ''after'' ->> %L', a.key)
        FROM jsonb_each(p_ledger.after_columns) AS a
    LOOP
        v_at := array_position(p_cols, quote_ident(v_col));
        CONTINUE WHEN v_at IS NULL;
        v_vals[v_at] := format('(%s)::%s', _recon.minor_sql(
            p_ledger.amount_scale, v_key, v_scale,
            format('column %s of %s', v_col, p_ledger.relid::regclass)),
            _recon.column_type_sql(p_ledger.relid, v_col));
    END LOOP;
    RETURN v_vals;
END;
$body$;

COMMENT ON FUNCTION _recon.writer_minor_sql(_recon.ledger_source, text[], text[]) IS
'For an INSERT writer on a ledger of minor units (a "scale"): its VALUES expressions p_vals '
'(for the columns p_cols) with the amount and running balances converted from the posting''s '
'major units to whole minor units (_recon.minor_sql: RC321 when posting an amount that is not '
'whole, never rounded). A per-row scale is the value the writer writes into the scale column; '
'RC305 when it writes none.';

REVOKE EXECUTE ON FUNCTION _recon.writer_minor_sql(_recon.ledger_source, text[], text[])
FROM PUBLIC;
