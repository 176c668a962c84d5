-- _recon.guard_drift_leg_sql(): one leg of a ledger row's effect on one balance column, for
-- the code a drift guard generates (every operator schema-qualified).
CREATE OR REPLACE FUNCTION _recon.guard_drift_leg_sql(
    p_ledger _recon.ledger_source, p_column text, p_row text, p_side text
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_effect text;
    v_filter text := _recon.guard_filter_sql(p_ledger, p_row);
BEGIN
    -- the entry's effect (one-sided), or the side's on a transfer row (the debit wallet by
    -- -amount, the credit wallet by +amount); zero for a row the filters do not keep
    IF p_side IS NULL THEN
        v_effect := _recon.guard_drift_effect_sql(p_ledger, p_column, p_row);
    ELSIF p_ledger.effects -> p_column ->> p_side IS NULL THEN
        RETURN '0';
    ELSE
        v_effect := _recon.guard_drift_times_sql(
            format('(%s.%I)::pg_catalog.numeric', p_row, p_ledger.amount_column),
            (p_ledger.effects -> p_column ->> p_side)::numeric);
    END IF;
    IF v_filter IS NULL THEN
        RETURN v_effect;
    END IF;
    RETURN format('CASE WHEN %s THEN %s ELSE 0 END', v_filter, v_effect);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_leg_sql(_recon.ledger_source, text, text, text) IS
'PL/pgSQL expression (over trigger row p_row, new or old) for one leg''s effect on one balance '
'column, as numeric: the entry''s effect (p_side NULL, _recon.guard_drift_effect_sql), or a '
'transfer row''s debit (-amount) or credit (+amount) leg; 0 when the row fails the entry '
'filters. As _recon.legs_sql() and _recon.effect_sql() count it.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_leg_sql(_recon.ledger_source, text, text, text)
FROM PUBLIC;
