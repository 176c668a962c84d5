-- _recon.ledger_operation_effects(): an operation ledger's "effects", validated, per column.
CREATE OR REPLACE FUNCTION _recon.ledger_operation_effects(
    p_relid oid, p_wallet _recon.wallet_source, p_options jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
AS $body$
DECLARE
    v_effects jsonb;
    v_value text;
    v_col text;
    v_mult text;
BEGIN
    PERFORM _recon.resolve_column(p_relid, p_options ->> 'operation', 'the operation type');
    v_effects := p_options -> 'effects';
    IF v_effects IS NULL OR jsonb_typeof(v_effects) <> 'object' OR v_effects = '{}' THEN
        PERFORM _recon.fail(
            'RC106', 'an operation ledger needs "effects"',
            'effects maps each operation type to its effect on balance columns.',
            'E.g. {"ON_HOLD": {"available": -1, "on_hold": 1}, "RELEASE": {"available": 1, '
            || '"on_hold": -1}, "DEBIT": {"on_hold": -1}, "CREDIT": {"available": 1}}.'
        );
    END IF;
    -- Validate, then store per balance column: {"<column>": {"<operation>": multiplier}}.
    FOR v_value IN SELECT jsonb_object_keys(v_effects) LOOP
        IF jsonb_typeof(v_effects -> v_value) <> 'object' OR v_effects -> v_value = '{}' THEN
            PERFORM _recon.fail(
                'RC106', format('effects of operation %L must be a non-empty object',
                                v_value),
                format('Got %s.', v_effects -> v_value),
                'Map each balance column to a multiplier, e.g. {"available": -1}.'
            );
        END IF;
        FOR v_col, v_mult IN SELECT e.key, e.value::text FROM jsonb_each(v_effects -> v_value) AS e
        LOOP
            IF v_col <> ALL (p_wallet.balance_columns) THEN
                PERFORM _recon.fail(
                    'RC102', format('operation %L moves %L, which is not a balance column of %s',
                                    v_value, v_col, p_wallet.name),
                    format('Balance columns: %s.', array_to_string(p_wallet.balance_columns, ', ')),
                    'Register the column with the wallet source, or fix the effects.'
                );
            END IF;
            IF v_mult !~ '^-?[0-9]+(\.[0-9]+)?$' THEN
                PERFORM _recon.fail(
                    'RC106', format('multiplier %s of %L on %L is not a number', v_mult, v_value,
                                    v_col),
                    'Multipliers are plain numbers such as 1 or -1.', 'Fix the effects.'
                );
            END IF;
        END LOOP;
    END LOOP;
    SELECT jsonb_object_agg(c.col, c.per_op) INTO v_effects
    FROM (
        SELECT e.key AS col, jsonb_object_agg(o.key, e.value) AS per_op
        FROM jsonb_each(v_effects) AS o, jsonb_each(o.value) AS e
        GROUP BY e.key
    ) AS c;
    RETURN v_effects;
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_operation_effects(oid, _recon.wallet_source, jsonb) IS
'For recon.register_ledger_source, an operation ledger of one type column (p_options '
'"operation"): checks the column and "effects" ({operation: {balance column: multiplier}}; '
'RC102, RC106) and returns them per balance column: {column: {operation: multiplier}}. '
'Resolves names on the caller''s search_path, as recon.register_ledger_source does.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_operation_effects(oid, _recon.wallet_source, jsonb)
FROM PUBLIC;
