-- _recon.guard_drift_effect_sql(): a ledger row's effect on one balance column, for the code
-- a drift guard generates (every operator schema-qualified).
CREATE OR REPLACE FUNCTION _recon.guard_drift_effect_sql(
    p_ledger _recon.ledger_source, p_column text, p_row text
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_amount text := format('(%s.%I)::pg_catalog.numeric', p_row, p_ledger.amount_column);
    v_type text;
    v_column name;
    v_cases text;
    v_known text;
BEGIN
    -- the same effect as _recon.effect_sql(), written so that no name in it depends on the
    -- caller's search_path
    IF p_ledger.effects -> p_column IS NULL THEN
        RETURN '0';
    END IF;
    IF p_ledger.amount_mode = 'signed' THEN
        RETURN _recon.guard_drift_times_sql(v_amount,
                                             (p_ledger.effects -> p_column ->> '*')::numeric);
    END IF;
    v_column := CASE p_ledger.amount_mode WHEN 'direction' THEN p_ledger.direction_column
                     ELSE p_ledger.operation_column END;
    -- the type's text: an enum's label through its output function (pg_catalog.format calls
    -- it; a cast to text could be a function its owner wrote, run as the toolkit's owner by a
    -- block-mode guard), any other type cast to text
    v_type := CASE WHEN (SELECT t.typtype FROM pg_catalog.pg_type AS t
                         WHERE t.oid = _recon.column_type(p_ledger.relid, v_column)) = 'e'
                   THEN format('pg_catalog.format(%L, %s.%I)', '%s', p_row, v_column)
                   ELSE format('(%s.%I)::pg_catalog.text', p_row, v_column) END;
    SELECT string_agg(format(' WHEN %s OPERATOR(pg_catalog.=) %L THEN %s', v_type, e.key,
                             _recon.guard_drift_times_sql(v_amount, e.value::numeric)), ''
                      ORDER BY e.key)
    INTO v_cases
    FROM jsonb_each_text(p_ledger.effects -> p_column) AS e;
    -- A type another column maps moves this one by 0. A type no column maps (or NULL) is an
    -- unmapped entry, which the checks never count (unmapped_entry_type): one written (the new
    -- row) is NaN, which never cancels, so that the guard stops what reconcile would find; one
    -- removed or corrected (the old row) counted for nothing, and still does.
    IF p_row <> 'new' THEN
        RETURN format('CASE%s ELSE 0 END', v_cases);
    END IF;
    SELECT string_agg(DISTINCT quote_literal(k), ', ' ORDER BY quote_literal(k)) INTO v_known
    FROM jsonb_each(p_ledger.effects) AS c, jsonb_object_keys(c.value) AS k;
    RETURN format('CASE%s WHEN %s OPERATOR(pg_catalog.=) ANY (ARRAY[%s]::pg_catalog.text[]) '
                  || 'THEN 0 ELSE ''NaN''::pg_catalog.numeric END', v_cases, v_type, v_known);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_effect_sql(_recon.ledger_source, text, text) IS
'PL/pgSQL expression (over trigger row p_row, new or old) for a ledger entry''s effect on one '
'balance column, as numeric: the signed amount, or a CASE over the direction or operation '
'type, an enum''s label read through its output function (0 for a type only other columns '
'map; in the new row, NaN for a type no column maps, or '
'NULL: never cancelled); as _recon.effect_sql() computes it, with every operator schema-qualified.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_effect_sql(_recon.ledger_source, text, text)
FROM PUBLIC;
