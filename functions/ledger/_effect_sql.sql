-- _recon.effect_sql(): SQL for an entry's effect on one balance column, and for "not mapped".
CREATE OR REPLACE FUNCTION _recon.effect_sql(
    p_ledger _recon.ledger_source, p_column text, p_alias text
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_amount text := format('%I.%I', p_alias, p_ledger.amount_column);
    v_kind text := CASE p_ledger.amount_mode
        WHEN 'direction' THEN p_ledger.direction_column ELSE p_ledger.operation_column END;
    v_cases text;
BEGIN
    IF p_ledger.effects -> p_column IS NULL THEN
        RETURN '0';  -- this ledger does not move that column
    END IF;
    IF p_ledger.amount_mode = 'signed' THEN
        RETURN CASE (p_ledger.effects -> p_column ->> '*')::numeric
            WHEN 1 THEN v_amount
            WHEN -1 THEN '-' || v_amount
            ELSE format('%s * %s', v_amount, (p_ledger.effects -> p_column ->> '*')::numeric)
        END;
    END IF;
    SELECT string_agg(format(' WHEN %L THEN %s', e.key, CASE e.value::numeric
        WHEN 1 THEN v_amount WHEN -1 THEN '-' || v_amount
        ELSE format('%s * %s', v_amount, e.value::numeric) END), '' ORDER BY e.key)
    INTO v_cases
    FROM jsonb_each(p_ledger.effects -> p_column) AS e;
    RETURN format('CASE %I.%I::text%s ELSE 0 END', p_alias, v_kind, v_cases);
END;
$body$;

COMMENT ON FUNCTION _recon.effect_sql(_recon.ledger_source, text, text) IS
'An SQL expression (over the ledger row alias) for one entry''s effect on a balance column: the '
'signed amount, or a CASE over the direction or operation type. Identifiers quoted with %I, '
'values with %L.';

REVOKE EXECUTE ON FUNCTION _recon.effect_sql(_recon.ledger_source, text, text) FROM PUBLIC;
