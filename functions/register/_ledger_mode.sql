-- _recon.ledger_mode(): how an entry of a ledger moves balances: signed, direction, operation.
CREATE OR REPLACE FUNCTION _recon.ledger_mode(
    p_relid oid, p_wallet _recon.wallet_source, p_parents jsonb, p_legs jsonb, p_options jsonb,
    OUT p_mode text, OUT p_effects jsonb, OUT p_kinds jsonb
)
LANGUAGE plpgsql
VOLATILE
AS $body$
DECLARE
    v_shape text := p_legs ->> 'shape';
    v_target text;
    v_rules jsonb;
BEGIN
    -- How an entry moves balances: signed amount, amount + direction, or operation effects.
    IF p_options ? 'direction' AND p_options ? 'operation' THEN
        PERFORM _recon.fail(
            'RC106', 'give either "direction" or "operation", not both',
            'A ledger is signed, direction-based or operation-based.',
            'Use "direction" for credit/debit columns, "operation" with "effects" for '
            || 'ON_HOLD/RELEASE/DEBIT/CREDIT-style ledgers.'
        );
    END IF;
    v_target := COALESCE(p_options ->> 'balance_column', p_wallet.balance_columns[1]);
    IF p_options ? 'operation' AND (jsonb_typeof(p_options -> 'operation') = 'array'
                                   OR jsonb_typeof(p_options -> 'effects') = 'array'
                                   OR v_shape <> 'entries') THEN
        p_mode := 'operation';
        v_rules := _recon.ledger_rules(p_relid, p_parents, p_wallet, p_options -> 'operation',
                                       p_options -> 'effects',
                                       CASE WHEN v_shape <> 'entries' THEN ARRAY(
                                           SELECT jsonb_object_keys(p_legs -> 'legs')) END);
        p_kinds := v_rules -> 'kinds';
        p_effects := v_rules -> 'effects';
    ELSIF p_options ? 'operation' THEN
        p_mode := 'operation';
        p_effects := _recon.ledger_operation_effects(p_relid, p_wallet, p_options);
    ELSIF p_options ? 'direction' THEN
        p_mode := 'direction';
        -- a direction ledger's effects are its credit and debit values: effects given beside
        -- them would be dropped (a liability ledger asking credit = -1 got the opposite signs)
        IF p_options ? 'effects' THEN
            PERFORM _recon.fail(
                'RC106', '"effects" needs "operation"',
                'A direction ledger moves its balance column by +1 for "credit" and -1 for '
                || '"debit"; "effects" map the values of an "operation" column.',
                'Drop "effects", or give "operation": "<direction column>" with "effects": '
                || '{"<value>": {"<balance column>": multiplier}} instead of "direction".'
            );
        END IF;
        PERFORM _recon.resolve_column(p_relid, p_options ->> 'direction', 'the direction');
        IF COALESCE(p_options ->> 'credit', 'credit')
           = COALESCE(p_options ->> 'debit', 'debit') THEN
            PERFORM _recon.fail(
                'RC106', format('"credit" and "debit" are both %L',
                                COALESCE(p_options ->> 'credit', 'credit')),
                'An entry is a credit or a debit by its direction value: they must differ.',
                'E.g. {"direction": "direction", "credit": "C", "debit": "D"}.'
            );
        END IF;
        PERFORM _recon.resolve_column(p_wallet.relid, v_target, 'the balance', TRUE);
        p_effects := jsonb_build_object(v_target, jsonb_build_object(
            COALESCE(p_options ->> 'credit', 'credit'), 1,
            COALESCE(p_options ->> 'debit', 'debit'), -1
        ));
    ELSIF v_shape <> 'entries' THEN
        -- A row of several legs (a transfer: its amount leaves the debit wallet and reaches the
        -- credit wallet): each leg moves the balance by its side's multiplier.
        p_mode := 'direction';
        IF p_options ? 'effects' THEN
            PERFORM _recon.fail(
                'RC106', '"effects" needs "operation"', 'Only operation ledgers map effects.',
                'Add "operation": ["side", ...] with rules, or drop "effects".'
            );
        END IF;
        PERFORM _recon.resolve_column(p_wallet.relid, v_target, 'the balance', TRUE);
        p_effects := jsonb_build_object(v_target, p_legs -> 'multipliers');
    ELSE
        p_mode := 'signed';
        IF p_options ? 'effects' THEN
            PERFORM _recon.fail(
                'RC106', '"effects" needs "operation"', 'Only operation ledgers map effects.',
                'Add "operation": "<type column>", or drop "effects".'
            );
        END IF;
        PERFORM _recon.resolve_column(p_wallet.relid, v_target, 'the balance', TRUE);
        p_effects := jsonb_build_object(v_target, jsonb_build_object('*', 1));
    END IF;
    IF v_target <> ALL (p_wallet.balance_columns) THEN
        PERFORM _recon.fail(
            'RC102', format('%L is not a balance column of wallet source %s', v_target,
                            p_wallet.name),
            format('Balance columns: %s.', array_to_string(p_wallet.balance_columns, ', ')),
            'Set "balance_column" to one of them.'
        );
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_mode(oid, _recon.wallet_source, jsonb, jsonb, jsonb) IS
'For recon.register_ledger_source: how an entry of the ledger (table p_relid, legs p_legs '
'from _recon.ledger_legs, parents p_parents) moves the balances of wallet source p_wallet, '
'from its options p_options: p_mode signed, direction or operation; p_effects {balance column: '
'{type or side: multiplier}}; p_kinds the rules of effects keyed on several columns '
'(_recon.ledger_rules), else NULL. RC102, RC106. Resolves names on the caller''s search_path.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_mode(oid, _recon.wallet_source, jsonb, jsonb, jsonb)
FROM PUBLIC;
