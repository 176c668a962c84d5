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
    v_cases text;
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
    SELECT string_agg(format(' WHEN (%s.%I)::pg_catalog.text OPERATOR(pg_catalog.=) %L THEN %s',
                             p_row, CASE p_ledger.amount_mode WHEN 'direction'
                                    THEN p_ledger.direction_column
                                    ELSE p_ledger.operation_column END, e.key,
                             _recon.guard_drift_times_sql(v_amount, e.value::numeric)), ''
                      ORDER BY e.key)
    INTO v_cases
    FROM jsonb_each_text(p_ledger.effects -> p_column) AS e;
    RETURN format('CASE%s ELSE 0 END', v_cases);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_effect_sql(_recon.ledger_source, text, text) IS
'PL/pgSQL expression (over trigger row p_row, new or old) for a ledger entry''s effect on one '
'balance column, as numeric: the signed amount, or a CASE over the direction or operation '
'type; as _recon.effect_sql() computes it, with every operator schema-qualified.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_effect_sql(_recon.ledger_source, text, text)
FROM PUBLIC;
