-- recon.register_ledger_source(): register an entries table and how each entry moves balances.
CREATE OR REPLACE FUNCTION recon.register_ledger_source(
    name text,
    wallet_source text,
    relation text,
    wallet_column text,
    amount_column text,
    options jsonb DEFAULT '{}'
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
AS $body$
#variable_conflict use_column
DECLARE
    v_wallet _recon.wallet_source;
    v_relid oid;
    v_mode text;
    v_effects jsonb;
    v_target text;
    v_col text;
    v_value text;
    v_mult text;
    v_optional jsonb := '{}'::jsonb;
    v_key text;
    v_shape text := 'entries';
    v_parents jsonb;
    v_filters jsonb;
    v_rules jsonb;
    v_kinds jsonb;
    v_after jsonb;
    v_legs jsonb;
    v_scale jsonb;
BEGIN
    PERFORM _recon.source_name_free('ledger source', register_ledger_source.name);
    PERFORM _recon.check_options('ledger source ' || register_ledger_source.name, register_ledger_source.options, ARRAY[
        'direction', 'credit', 'debit', 'operation', 'effects', 'balance_column', 'entry_id',
        'reference', 'posted_at', 'order_by', 'balance_after', 'version', 'journal', 'status',
        'filters', 'parents', 'currency', 'scale'
    ] || ARRAY(SELECT g ->> 'option' FROM _recon.ledger_shape AS s,
                                         jsonb_array_elements(s.legs) AS g
               WHERE g ->> 'option' IS NOT NULL ORDER BY 1));
    v_wallet := _recon.wallet(register_ledger_source.wallet_source);
    v_relid := _recon.resolve_table(register_ledger_source.relation);
    -- The shape, and the wallet column of each leg (_recon.ledger_shape).
    v_legs := _recon.ledger_legs(v_relid, v_wallet, register_ledger_source.wallet_column, register_ledger_source.options);
    v_shape := v_legs ->> 'shape';
    PERFORM _recon.resolve_column(v_relid, register_ledger_source.amount_column, 'the amount', TRUE);
    IF register_ledger_source.options ? 'parents' THEN
        v_parents := _recon.ledger_parents(v_relid, register_ledger_source.options -> 'parents');
    END IF;
    IF register_ledger_source.options ? 'filters' THEN
        v_filters := _recon.ledger_filters(v_relid, v_parents, register_ledger_source.options -> 'filters');
    END IF;

    -- How an entry moves balances: signed amount, amount + direction, or operation effects.
    IF register_ledger_source.options ? 'direction' AND register_ledger_source.options ? 'operation' THEN
        PERFORM _recon.fail(
            'RC106', 'give either "direction" or "operation", not both',
            'A ledger is signed, direction-based or operation-based.',
            'Use "direction" for credit/debit columns, "operation" with "effects" for '
            || 'ON_HOLD/RELEASE/DEBIT/CREDIT-style ledgers.'
        );
    END IF;
    v_target := COALESCE(register_ledger_source.options ->> 'balance_column', v_wallet.balance_columns[1]);
    IF register_ledger_source.options ? 'operation' AND (jsonb_typeof(register_ledger_source.options -> 'operation') = 'array'
                                    OR jsonb_typeof(register_ledger_source.options -> 'effects') = 'array'
                                    OR v_shape <> 'entries') THEN
        v_mode := 'operation';
        v_rules := _recon.ledger_rules(v_relid, v_parents, v_wallet, register_ledger_source.options -> 'operation',
                                       register_ledger_source.options -> 'effects',
                                       CASE WHEN v_shape <> 'entries' THEN ARRAY(
                                           SELECT jsonb_object_keys(v_legs -> 'legs')) END);
        v_kinds := v_rules -> 'kinds';
        v_effects := v_rules -> 'effects';
    ELSIF register_ledger_source.options ? 'operation' THEN
        v_mode := 'operation';
        PERFORM _recon.resolve_column(v_relid, register_ledger_source.options ->> 'operation', 'the operation type');
        v_effects := register_ledger_source.options -> 'effects';
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
                IF v_col <> ALL (v_wallet.balance_columns) THEN
                    PERFORM _recon.fail(
                        'RC102', format('operation %L moves %L, which is not a balance column of %s',
                                        v_value, v_col, v_wallet.name),
                        format('Balance columns: %s.', array_to_string(v_wallet.balance_columns, ', ')),
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
    ELSIF register_ledger_source.options ? 'direction' THEN
        v_mode := 'direction';
        PERFORM _recon.resolve_column(v_relid, register_ledger_source.options ->> 'direction', 'the direction');
        IF COALESCE(register_ledger_source.options ->> 'credit', 'credit')
           = COALESCE(register_ledger_source.options ->> 'debit', 'debit') THEN
            PERFORM _recon.fail(
                'RC106', format('"credit" and "debit" are both %L',
                                COALESCE(register_ledger_source.options ->> 'credit', 'credit')),
                'An entry is a credit or a debit by its direction value: they must differ.',
                'E.g. {"direction": "direction", "credit": "C", "debit": "D"}.'
            );
        END IF;
        PERFORM _recon.resolve_column(v_wallet.relid, v_target, 'the balance', TRUE);
        v_effects := jsonb_build_object(v_target, jsonb_build_object(
            COALESCE(register_ledger_source.options ->> 'credit', 'credit'), 1,
            COALESCE(register_ledger_source.options ->> 'debit', 'debit'), -1
        ));
    ELSIF v_shape <> 'entries' THEN
        -- A row of several legs (a transfer: its amount leaves the debit wallet and reaches the
        -- credit wallet): each leg moves the balance by its side's multiplier.
        v_mode := 'direction';
        IF register_ledger_source.options ? 'effects' THEN
            PERFORM _recon.fail(
                'RC106', '"effects" needs "operation"', 'Only operation ledgers map effects.',
                'Add "operation": ["side", ...] with rules, or drop "effects".'
            );
        END IF;
        PERFORM _recon.resolve_column(v_wallet.relid, v_target, 'the balance', TRUE);
        v_effects := jsonb_build_object(v_target, v_legs -> 'multipliers');
    ELSE
        v_mode := 'signed';
        IF register_ledger_source.options ? 'effects' THEN
            PERFORM _recon.fail(
                'RC106', '"effects" needs "operation"', 'Only operation ledgers map effects.',
                'Add "operation": "<type column>", or drop "effects".'
            );
        END IF;
        PERFORM _recon.resolve_column(v_wallet.relid, v_target, 'the balance', TRUE);
        v_effects := jsonb_build_object(v_target, jsonb_build_object('*', 1));
    END IF;
    IF v_target <> ALL (v_wallet.balance_columns) THEN
        PERFORM _recon.fail(
            'RC102', format('%L is not a balance column of wallet source %s', v_target,
                            v_wallet.name),
            format('Balance columns: %s.', array_to_string(v_wallet.balance_columns, ', ')),
            'Set "balance_column" to one of them.'
        );
    END IF;

    -- Optional columns, each checked against the catalog.
    -- A running balance per balance column (a map) is checked per column; a single column
    -- (0.1's form) follows the column the chain check names.
    IF jsonb_typeof(register_ledger_source.options -> 'balance_after') = 'object' THEN
        v_after := _recon.ledger_after(v_relid, v_wallet, v_effects, register_ledger_source.options -> 'balance_after');
        register_ledger_source.options := register_ledger_source.options - 'balance_after';
    END IF;
    FOREACH v_key IN ARRAY ARRAY['entry_id', 'reference', 'posted_at', 'order_by', 'balance_after',
                                 'version', 'journal', 'status'] LOOP
        IF register_ledger_source.options ? v_key THEN
            v_optional := v_optional || jsonb_build_object(v_key, _recon.resolve_column(
                v_relid, register_ledger_source.options ->> v_key, replace(v_key, '_', ' '),
                v_key IN ('balance_after', 'version')
            ));
        END IF;
    END LOOP;

    -- The currency of each entry: a column of the ledger or of a parent row, of a text type.
    IF register_ledger_source.options ? 'currency' THEN
        IF _recon.ledger_ref_type(v_relid, v_parents, register_ledger_source.options ->> 'currency', 'the currency')
           NOT IN ('text'::regtype, 'character varying'::regtype, 'character'::regtype,
                   'name'::regtype) THEN
            PERFORM _recon.fail(
                'RC108', format('the currency column %s is not of a text type',
                                register_ledger_source.options ->> 'currency'),
                format('It is %s.', _recon.ledger_ref_type(v_relid, v_parents,
                                                           register_ledger_source.options ->> 'currency',
                                                           'the currency')),
                'Name a column holding currency codes (text, varchar, char).');
        END IF;
        v_optional := v_optional || jsonb_build_object('currency', register_ledger_source.options ->> 'currency');
    END IF;

    -- Minor units: the amount (and running balances) as integers with a scale.
    v_scale := _recon.scale_option(
        v_relid, register_ledger_source.options -> 'scale', 'ledger source ' || register_ledger_source.name,
        ARRAY[register_ledger_source.amount_column::name] || ARRAY(
            SELECT DISTINCT c::name FROM (
                SELECT v_optional ->> 'balance_after' AS c
                UNION ALL SELECT a.value #>> '{}' FROM jsonb_each(v_after) AS a) AS u
            WHERE c IS NOT NULL));

    INSERT INTO _recon.ledger_source (
        name, wallet_source, relid, wallet_column, amount_column, amount_mode, effects,
        direction_column, operation_column, entry_id_column, reference_column, posted_at_column,
        order_column, balance_after_column, version_column, journal_column, status_column,
        shape, leg_columns, filters, parents, kinds, after_columns, currency_column, amount_scale
    ) VALUES (
        register_ledger_source.name, v_wallet.name, v_relid, register_ledger_source.wallet_column, register_ledger_source.amount_column, v_mode, v_effects,
        register_ledger_source.options ->> 'direction', CASE WHEN v_kinds IS NULL THEN register_ledger_source.options ->> 'operation' END,
        v_optional ->> 'entry_id',
        v_optional ->> 'reference', v_optional ->> 'posted_at', v_optional ->> 'order_by',
        v_optional ->> 'balance_after', v_optional ->> 'version', v_optional ->> 'journal',
        v_optional ->> 'status', v_shape, v_legs -> 'legs', v_filters, v_parents, v_kinds,
        v_after, v_optional ->> 'currency', v_scale
    );
    -- incremental mode sees an UPDATE or DELETE of an old entry through this trigger (0024)
    IF v_optional ->> 'order_by' IS NOT NULL THEN
        PERFORM _recon.ledger_write_install(v_relid, v_optional ->> 'order_by');
    END IF;
    RETURN jsonb_build_object(
        'ledger_source', register_ledger_source.name, 'wallet_source', v_wallet.name,
        'table', v_relid::regclass::text, 'mode', v_mode, 'effects', v_effects, 'shape', v_shape
    ) || v_optional || jsonb_strip_nulls(jsonb_build_object(
        'legs', v_legs -> 'legs', 'filters', v_filters, 'parents', v_parents, 'rules', v_kinds -> 'rules',
        'balance_after', v_after, 'scale', v_scale));
END;
$body$;

COMMENT ON FUNCTION recon.register_ledger_source(text, text, text, text, text, jsonb) IS
'Registers a ledger (entries) table for a wallet source: name, wallet source, table, wallet key '
'column, amount column, and options: "direction" (+ "credit"/"debit" values) or "operation" + '
'"effects" ({"ON_HOLD": {"available": -1, "on_hold": 1}, ...}); "balance_column" (which balance a '
'signed or direction ledger moves; default the first); optional columns "entry_id", "reference", '
'"posted_at", "order_by", "balance_after" (a column, or {balance column: column}), "version", '
'"journal", "status", "currency" (each entry''s currency, a column of the ledger or of a parent '
'row); "scale" when the amount (and running balances) are integers of minor units: decimal places '
'(2), {"multiplier": 100}, or per row {"column": c, "as": "places"|"multiplier"} (docs/CHECKS.md '
'"Minor units"). Shapes (docs/CHECKS.md "Ledger shapes"): transfer rows (wallet column NULL, '
'"debit_wallet", "credit_wallet"), "filters" [{"column", "op", "value"|"values"}], "parents" '
'{alias: {"table", "key", "via"}}, effects keyed on several columns ("operation" a list, '
'"effects" a list of {"when", "effect", "label"} rules). Errors: RC101-RC108, RC115 '
'(docs/SQLSTATES.md). Needs the toolkit owner. Table names resolve on your search_path, as in '
'psql; the function is not SECURITY DEFINER and pins no path.';

REVOKE EXECUTE ON FUNCTION recon.register_ledger_source(text, text, text, text, text, jsonb)
FROM PUBLIC;
