-- _recon.ledger_rules(): validate effects keyed on several columns; their normalized form.
CREATE OR REPLACE FUNCTION _recon.ledger_rules(
    p_relid oid, p_parents jsonb, p_wallet _recon.wallet_source, p_keys jsonb, p_rules jsonb,
    p_sides text[]
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_keys text[];
    v_key text;
    v_rule jsonb;
    v_when jsonb;
    v_label text;
    v_col text;
    v_mult jsonb;
    v_rules jsonb := '[]'::jsonb;
    v_effects jsonb := '{}'::jsonb;
    v_seen jsonb := '{}'::jsonb;
BEGIN
    IF jsonb_typeof(p_keys) = 'string' THEN
        p_keys := jsonb_build_array(p_keys);
    END IF;
    IF jsonb_typeof(p_keys) IS DISTINCT FROM 'array' OR jsonb_array_length(p_keys) = 0
        OR EXISTS (SELECT FROM jsonb_array_elements(p_keys) AS k WHERE jsonb_typeof(k) <> 'string')
        THEN
        PERFORM _recon.fail('RC106', '"operation" must name a column or a list of columns',
                            format('Got %s.', p_keys), 'E.g. ["type", "tx.status"].');
    END IF;
    SELECT array_agg(k ORDER BY o) INTO v_keys FROM jsonb_array_elements_text(p_keys)
        WITH ORDINALITY AS u (k, o);
    IF (SELECT count(DISTINCT k) FROM unnest(v_keys) AS k) <> cardinality(v_keys) THEN
        PERFORM _recon.fail('RC106', 'a column is named twice in "operation"',
                            format('Got %s.', p_keys), 'Name each column once.');
    END IF;
    FOREACH v_key IN ARRAY v_keys LOOP
        PERFORM _recon.ledger_ref_type(p_relid, p_parents, v_key, 'an operation key',
                                       p_sides IS NOT NULL);
    END LOOP;
    IF jsonb_typeof(p_rules) IS DISTINCT FROM 'array' OR jsonb_array_length(p_rules) = 0 THEN
        PERFORM _recon.fail(
            'RC106', 'effects keyed on several columns are a non-empty list of rules',
            format('Got %s.', COALESCE(p_rules::text, 'NULL')),
            'E.g. [{"when": {"type": "DEBIT", "tx.status": "COMMITTED"}, '
            || '"effect": {"on_hold": -1}}, {"when": {"type": "DEBIT"}, '
            || '"effect": {"available": -1}}].'
        );
    END IF;
    FOR v_rule IN SELECT r FROM jsonb_array_elements(p_rules) AS r LOOP
        IF jsonb_typeof(v_rule) <> 'object' THEN
            PERFORM _recon.fail('RC106', 'each effect rule must be a JSON object',
                                format('Got %s.', v_rule),
                                'E.g. {"when": {"type": "CREDIT"}, "effect": {"available": 1}}.');
        END IF;
        PERFORM _recon.check_options('an effect rule', v_rule, ARRAY['when', 'effect', 'label'],
                                     ARRAY['when', 'effect']);
        v_when := v_rule -> 'when';
        IF jsonb_typeof(v_when) <> 'object' OR v_when = '{}' THEN
            PERFORM _recon.fail('RC106', '"when" must be a non-empty JSON object',
                                format('Got %s.', v_when), 'E.g. {"type": "DEBIT"}.');
        END IF;
        FOR v_key, v_mult IN SELECT e.key, e.value FROM jsonb_each(v_when) AS e LOOP
            IF v_key <> ALL (v_keys) THEN
                PERFORM _recon.fail('RC106', format('rule names %L, which is not an operation key',
                                                    v_key),
                                    format('Keys: %s.', array_to_string(v_keys, ', ')),
                                    'List the column in "operation".');
            END IF;
            IF jsonb_typeof(v_mult) NOT IN ('string', 'number', 'boolean') THEN
                PERFORM _recon.fail('RC106', format('rule value for %L must be a value', v_key),
                                    format('Got %s.', v_mult),
                                    'Values are compared as text: strings, numbers, booleans.');
            END IF;
        END LOOP;
        IF p_sides IS NOT NULL AND (v_when ->> 'side' IS NULL
                                    OR v_when ->> 'side' <> ALL (p_sides)) THEN
            PERFORM _recon.fail(
                'RC106', 'each rule of a ledger with several legs names its "side"',
                format('Rule %s; sides: %s.', v_rule, array_to_string(p_sides, ', ')),
                'Add e.g. "side": "debit" (the wallet the amount leaves) or "credit", and list '
                || '"side" in "operation".'
            );
        END IF;
        IF jsonb_typeof(v_rule -> 'effect') IS DISTINCT FROM 'object' OR v_rule -> 'effect' = '{}'
            THEN
            PERFORM _recon.fail('RC106', '"effect" must be a non-empty JSON object',
                                format('Rule %s.', v_rule), 'E.g. {"available": -1}.');
        END IF;
        FOR v_col, v_mult IN SELECT e.key, e.value FROM jsonb_each(v_rule -> 'effect') AS e LOOP
            IF v_col <> ALL (p_wallet.balance_columns) THEN
                PERFORM _recon.fail(
                    'RC102', format('rule moves %L, which is not a balance column of %s', v_col,
                                    p_wallet.name),
                    format('Balance columns: %s.', array_to_string(p_wallet.balance_columns, ', ')),
                    'Register the column with the wallet source, or fix the rule.'
                );
            END IF;
            IF jsonb_typeof(v_mult) <> 'number' THEN
                PERFORM _recon.fail('RC106', format('multiplier %s on %L is not a number', v_mult,
                                                    v_col),
                                    'Multipliers are plain numbers such as 1 or -1.',
                                    'Fix the effects.');
            END IF;
        END LOOP;
        -- A rule's label names its entries in findings: given, or its key values in key order.
        v_label := COALESCE(v_rule ->> 'label', (
            SELECT string_agg(COALESCE(v_when ->> k, '*'), '/' ORDER BY o)
            FROM unnest(v_keys) WITH ORDINALITY AS u (k, o)));
        IF v_seen ? v_label AND v_seen -> v_label <> v_rule -> 'effect' THEN
            PERFORM _recon.fail('RC106', format('two rules labelled %L move different columns',
                                                v_label),
                                'Entries of one label must have one effect.',
                                'Give the rules distinct "label"s.');
        END IF;
        v_seen := v_seen || jsonb_build_object(v_label, v_rule -> 'effect');
        v_rules := v_rules || jsonb_build_array(jsonb_build_object(
            'when', (SELECT jsonb_object_agg(e.key, e.value #>> '{}') FROM jsonb_each(v_when) AS e),
            'label', v_label));
    END LOOP;
    SELECT jsonb_object_agg(c.col, c.per_label) INTO v_effects
    FROM (SELECT e.key AS col, jsonb_object_agg(s.key, e.value) AS per_label
          FROM jsonb_each(v_seen) AS s, jsonb_each(s.value) AS e GROUP BY e.key) AS c;
    RETURN jsonb_build_object('kinds', jsonb_build_object('keys', to_jsonb(v_keys),
                                                          'rules', v_rules),
                              'effects', v_effects);
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_rules(oid, jsonb, _recon.wallet_source, jsonb, jsonb, text[])
IS
'Validates effects keyed on several columns: "operation" lists the key columns (ledger, '
'"<parent>.<column>", or "side" on shapes of several legs, p_sides), "effects" is a list of '
'rules {"when": {key: value}, "effect": {balance column: multiplier}, "label"?}, tried in '
'order (a key left out matches any value; values compare as text). Returns {"kinds": '
'{"keys", "rules": [{"when", "label"}]}, "effects": {column: {label: multiplier}}}. '
'RC102, RC106.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_rules(
    oid, jsonb, _recon.wallet_source, jsonb, jsonb, text[]
) FROM PUBLIC;
