-- _recon.writer_rule_entry(): the row an INSERT writer posts on effects keyed on several columns.
CREATE OR REPLACE FUNCTION _recon.writer_rule_entry(
    p_ledger _recon.ledger_source, p_writer _recon.writer, p_deltas jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_cols text[] := (_recon.wallet(p_ledger.wallet_source)).balance_columns;
    v_rules jsonb := p_ledger.kinds -> 'rules';
    v_sides boolean := p_ledger.shape <> 'entries';
    v_fixed jsonb;  -- key column -> the text the INSERT stores there, or null
    v_filled text[];  -- key columns the toolkit fills from the rule
    v_defaults jsonb;  -- filled key column -> its constant default, as the column stores it
    v_refused text;
    v_rule jsonb;
    v_n bigint;
    v_row jsonb;
    v_side text;
    v_other text;
    v_first bigint;
    v_other_rule jsonb;
    v_amount numeric;
    v_why text[] := ARRAY[]::text[];
BEGIN
    -- 1. The key values every row of this writer has: a constant of "columns", or the one value
    --    of a filter (writer_insert_sql writes it), as the column stores it, read back as text
    --    (the legs compare a rule's value with the column cast to text). The other key
    --    columns the toolkit fills per row: the value the chosen rule names, else the
    --    column's constant default, else NULL, which the filters must keep.
    SELECT k.p_fixed, k.p_filled, k.p_refused INTO v_fixed, v_filled, v_refused
    FROM _recon.writer_rule_keys(p_ledger, p_writer) AS k;
    IF v_refused IS NOT NULL THEN
        RETURN jsonb_build_object('refused', v_refused);
    END IF;
    -- A filled key a rule does not name takes the column's default when every INSERT would
    -- store the same one (a TigerBeetle-like "flags" or "code" NOT NULL DEFAULT 0), else NULL.
    SELECT COALESCE(jsonb_object_agg(k, d), '{}') INTO v_defaults
    FROM unnest(v_filled) AS k
    CROSS JOIN LATERAL _recon.column_default_text(p_ledger.relid, k) AS d
    WHERE d IS NOT NULL;

    -- 2. Each rule, in the order the writer prefers its label, then in rule order: the row
    --    that would take it (its key values, its side of a transfer row) must match it first,
    --    move the wallet by exactly the deltas, and the offset wallet of a transfer row (its
    --    other leg, by the rule that leg matches) by exactly the opposite.
    FOR v_rule, v_n IN
        SELECT r, o FROM jsonb_array_elements(v_rules) WITH ORDINALITY AS u (r, o)
        ORDER BY array_position(p_writer.entry_types, r ->> 'label') NULLS LAST, o
    LOOP
        v_side := CASE WHEN v_sides THEN v_rule -> 'when' ->> 'side' END;
        -- its key values: the fixed ones, then each filled key from the rule, or its default
        v_row := v_fixed || COALESCE((
            SELECT jsonb_object_agg(k, CASE WHEN v_rule -> 'when' ? k
                                            THEN _recon.stored_text(p_ledger.relid, k,
                                                                    v_rule -> 'when' ->> k)
                                            ELSE COALESCE(v_defaults -> k, 'null'::jsonb)
                                       END)
            FROM unnest(v_filled) AS k), '{}');
        -- the first rule this row matches on this side (a NULL key value matches no rule
        -- that names the key, as in the legs)
        SELECT o INTO v_first FROM jsonb_array_elements(v_rules) WITH ORDINALITY AS u (r, o)
        WHERE (NOT v_sides OR r -> 'when' ->> 'side' = v_side)
          AND NOT EXISTS (SELECT FROM jsonb_each_text(r -> 'when') AS w
                          WHERE NOT (v_sides AND w.key = 'side')
                            AND (v_row ->> w.key) IS DISTINCT FROM w.value)
        ORDER BY o LIMIT 1;
        CONTINUE WHEN v_first IS DISTINCT FROM v_n;
        -- a filled key must be a value the filters keep (the row would not count otherwise)
        v_refused := _recon.writer_rule_filter_refusal(p_ledger, v_filled, v_row,
                                                       v_rule ->> 'label');
        IF v_refused IS NOT NULL THEN
            v_why := v_why || v_refused;
            CONTINUE;
        END IF;
        -- a filled key left NULL must be a column that takes NULL
        IF EXISTS (SELECT FROM unnest(v_filled) AS k
                   JOIN pg_catalog.pg_attribute AS a
                       ON a.attrelid = p_ledger.relid AND a.attname = k
                   WHERE v_row -> k = 'null'::jsonb AND a.attnotnull) THEN
            v_why := v_why || format('rule %s leaves a NOT NULL key column empty',
                                     v_rule ->> 'label');
            CONTINUE;
        END IF;
        -- the amount that moves the wallet by exactly the deltas, positive
        v_amount := _recon.entry_amount(p_ledger.effects, v_cols, v_rule ->> 'label', p_deltas);
        IF v_amount IS NULL OR v_amount <= 0 THEN
            v_why := v_why || format('rule %s moves %s per unit', v_rule ->> 'label',
                                     _recon.rule_effect(p_ledger, v_rule ->> 'label', 1));
            CONTINUE;
        END IF;
        IF v_sides THEN
            -- the other leg of the same row: the offset wallet's
            v_other := (SELECT s.key FROM jsonb_each_text(p_ledger.leg_columns) AS s
                        WHERE s.key <> v_side LIMIT 1);
            SELECT r INTO v_other_rule FROM jsonb_array_elements(v_rules) WITH ORDINALITY AS u (r, o)
            WHERE r -> 'when' ->> 'side' = v_other
              AND NOT EXISTS (SELECT FROM jsonb_each_text(r -> 'when') AS w
                              WHERE w.key <> 'side'
                                AND (v_row ->> w.key) IS DISTINCT FROM w.value)
            ORDER BY o LIMIT 1;
            -- the other leg moves the offset wallet by its own rule: exactly the opposite, or
            -- (monotonic counters: a credit counter here, a debit counter there) what that
            -- rule says, which the toolkit then moves the offset wallet by ("offset_deltas");
            -- a leg no rule counts, or one that moves nothing, is refused
            IF v_other_rule IS NULL
               OR _recon.rule_effect(p_ledger, v_other_rule ->> 'label', v_amount) = '{}' THEN
                v_why := v_why || format(
                    'rule %s moves the wallet by %s, but the same row moves the offset wallet '
                    || 'by %s (%s)', v_rule ->> 'label',
                    _recon.rule_effect(p_ledger, v_rule ->> 'label', v_amount),
                    _recon.rule_effect(p_ledger, v_other_rule ->> 'label', v_amount),
                    COALESCE('rule ' || (v_other_rule ->> 'label'), 'no rule'));
                CONTINUE;
            END IF;
        END IF;
        RETURN jsonb_strip_nulls(jsonb_build_object(
            'entry_type', v_rule ->> 'label', 'amount', v_amount, 'leg', v_side,
            'keys', (SELECT jsonb_object_agg(k, v_row -> k) FROM unnest(v_filled) AS k),
            'offset_deltas', CASE WHEN v_sides AND _recon.rule_effect(
                                           p_ledger, v_other_rule ->> 'label', v_amount)
                                       IS DISTINCT FROM COALESCE((
                                           SELECT jsonb_object_agg(d.key, -(d.value::numeric))
                                           FROM jsonb_each_text(p_deltas) AS d
                                           WHERE d.value::numeric <> 0), '{}')
                                  THEN _recon.rule_effect(p_ledger, v_other_rule ->> 'label',
                                                          v_amount) END));
    END LOOP;
    RETURN jsonb_build_object('refused', format(
        'no row its writer can post moves exactly %s%s%s',
        (SELECT COALESCE(jsonb_object_agg(d.key, d.value), '{}') FROM jsonb_each(p_deltas) AS d
         WHERE d.value <> '0'::jsonb),
        CASE WHEN v_sides THEN ' on the wallet and the opposite on the offset wallet' END,
        COALESCE(': ' || array_to_string(v_why[1:4], '; '), ': the writer''s rows match no rule')));
END;
$body$;

COMMENT ON FUNCTION _recon.writer_rule_entry(_recon.ledger_source, _recon.writer, jsonb) IS
'For an INSERT writer on a ledger whose effects are keyed on several columns: the row it posts '
'to move a wallet by exactly p_deltas ({column: delta}). Its key values are the writer''s '
'constants and the filters'' single values (as the columns store them), the others filled from '
'the rule, else with the column''s constant default (_recon.column_default_text), else NULL; '
'the row must match that rule first (rules in order, a NULL key matching no rule naming it), '
'move exactly p_deltas, and on transfer rows its other leg must move the offset '
'wallet by exactly the opposite. Returns {"entry_type": rule label, "amount", "leg": side, '
'"keys": {column: text}, "offset_deltas": what the other leg of a transfer row moves the offset '
'wallet by, when not exactly the opposite (monotonic counters)} or {"refused": why} (a rule '
'moving several columns at once where the step moves one, an offset leg no rule counts, a '
'parent key). Never a row it cannot prove.';

REVOKE EXECUTE ON FUNCTION _recon.writer_rule_entry(_recon.ledger_source, _recon.writer, jsonb)
FROM PUBLIC;
