-- _recon.ledger_filters(): validate a ledger source's "filters" option; its normalized form.
CREATE OR REPLACE FUNCTION _recon.ledger_filters(
    p_relid oid, p_parents jsonb, p_filters jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ops text[] := ARRAY['=', '<>', '<', '<=', '>', '>=', 'in', 'not in', 'is null',
                          'is not null'];
    v_filter jsonb;
    v_op text;
    v_type regtype;
    v_values jsonb;
    v_value jsonb;
    v_out jsonb := '[]'::jsonb;
BEGIN
    IF p_filters IS NULL OR jsonb_typeof(p_filters) <> 'array'
        OR jsonb_array_length(p_filters) = 0 THEN
        PERFORM _recon.fail(
            'RC106', '"filters" must be a non-empty JSON array',
            format('Got %s.', COALESCE(p_filters::text, 'NULL')),
            'E.g. [{"column": "status", "op": "in", "values": ["APPLIED"]}, '
            || '{"column": "deleted_at", "op": "is null"}].'
        );
    END IF;
    FOR v_filter IN SELECT f FROM jsonb_array_elements(p_filters) AS f LOOP
        IF jsonb_typeof(v_filter) <> 'object' THEN
            PERFORM _recon.fail('RC106', 'each filter must be a JSON object',
                                format('Got %s.', v_filter),
                                'E.g. {"column": "voided", "op": "=", "value": false}.');
        END IF;
        PERFORM _recon.check_options('a filter', v_filter,
                                     ARRAY['column', 'op', 'value', 'values'], ARRAY['column', 'op']);
        v_op := lower(v_filter ->> 'op');
        IF v_op IS NULL OR v_op <> ALL (v_ops) THEN
            PERFORM _recon.fail(
                'RC106', format('unknown filter operator %s', v_filter -> 'op'),
                format('Operators: %s.', array_to_string(v_ops, ', ')),
                'E.g. {"column": "status", "op": "in", "values": ["posted"]}.'
            );
        END IF;
        v_type := _recon.ledger_ref_type(p_relid, p_parents, v_filter ->> 'column',
                                         'a filter column');
        v_values := CASE WHEN v_filter ? 'values' THEN v_filter -> 'values'
                         WHEN v_filter ? 'value' THEN jsonb_build_array(v_filter -> 'value') END;
        IF v_op IN ('is null', 'is not null') THEN
            IF v_values IS NOT NULL THEN
                PERFORM _recon.fail('RC106', format('operator %L takes no value', v_op),
                                    format('Got %s.', v_values), 'Drop "value"/"values".');
            END IF;
            v_values := '[]';
        ELSIF v_values IS NULL OR jsonb_typeof(v_values) <> 'array'
            OR jsonb_array_length(v_values) = 0
            OR (v_op NOT IN ('in', 'not in') AND jsonb_array_length(v_values) <> 1)
            OR (v_filter ? 'value' AND v_filter ? 'values') THEN
            PERFORM _recon.fail(
                'RC106', format('filter on %s: operator %L needs %s', v_filter ->> 'column', v_op,
                                CASE WHEN v_op IN ('in', 'not in')
                                     THEN 'a non-empty array "values"' ELSE 'one "value"' END),
                format('Got %s.', v_filter), 'E.g. {"column": "status", "op": "in", '
                || '"values": ["posted"]} or {"column": "voided", "op": "=", "value": false}.'
            );
        END IF;
        FOR v_value IN SELECT v FROM jsonb_array_elements(v_values) AS v LOOP
            IF jsonb_typeof(v_value) NOT IN ('string', 'number', 'boolean') THEN
                PERFORM _recon.fail('RC106', format('filter on %s: %s is not a value',
                                                    v_filter ->> 'column', v_value),
                                    'Values are strings, numbers or booleans.',
                                    'For NULL use "op": "is null".');
            END IF;
            BEGIN
                EXECUTE format('SELECT %L::%s', v_value #>> '{}', v_type);
            EXCEPTION WHEN data_exception OR invalid_text_representation THEN
                PERFORM _recon.fail(
                    'RC106', format('filter on %s: %s is not a %s', v_filter ->> 'column',
                                    v_value, v_type),
                    format('%s is of type %s: %s', v_filter ->> 'column', v_type, SQLERRM),
                    'Give a value of the column''s type.'
                );
            END;
        END LOOP;
        -- each value as text every session reads alike (a date or time in ISO 8601)
        v_out := v_out || jsonb_build_array(jsonb_build_object(
            'column', v_filter ->> 'column', 'op', v_op,
            'values', (SELECT COALESCE(jsonb_agg(_recon.filter_value_text(v #>> '{}', v_type)
                                                 ORDER BY o), '[]')
                       FROM jsonb_array_elements(v_values) WITH ORDINALITY AS u (v, o))
        ));
    END LOOP;
    RETURN v_out;
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_filters(oid, jsonb, jsonb) IS
'Validates a ledger source''s "filters": each {"column", "op", "value" | "values"} names a '
'ledger or parent column (catalog-checked), a known operator (=, <>, <, <=, >, >=, in, not in, '
'is null, is not null), and values that cast to the column''s type. Returns them as '
'[{"column", "op", "values": [text]}], each value read in this session and kept as text every '
'session reads alike (_recon.filter_value_text: a date or time in ISO 8601, a timestamptz with '
'its offset). Never free SQL text. RC102, RC106.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_filters(oid, jsonb, jsonb) FROM PUBLIC;
