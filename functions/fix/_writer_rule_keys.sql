-- _recon.writer_rule_keys(): the key values every row of an INSERT writer has, and the others.
CREATE OR REPLACE FUNCTION _recon.writer_rule_keys(
    p_ledger _recon.ledger_source, p_writer _recon.writer,
    OUT p_fixed jsonb, OUT p_filled text[], OUT p_refused text
)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_key text;
    v_filter jsonb;
BEGIN
    p_fixed := '{}'::jsonb;  -- key column -> the text the INSERT stores there, or null
    p_filled := ARRAY[]::text[];  -- key columns the toolkit fills from the rule
    FOREACH v_key IN ARRAY ARRAY(SELECT jsonb_array_elements_text(p_ledger.kinds -> 'keys')) LOOP
        CONTINUE WHEN v_key = 'side' AND p_ledger.shape <> 'entries';
        IF strpos(v_key, '.') > 0 THEN
            p_refused := format(
                'its effect rules read parent rows (%s), which an INSERT cannot write', v_key);
            RETURN;
        END IF;
        IF p_writer.column_map ? v_key THEN
            IF strpos(p_writer.column_map ->> v_key, '{') > 0 THEN
                p_refused := format(
                    'column %I, an effect rule key, is a template in the writer', v_key);
                RETURN;
            END IF;
            p_fixed := p_fixed || jsonb_build_object(v_key, _recon.stored_text(
                p_ledger.relid, v_key, p_writer.column_map ->> v_key));
            CONTINUE;
        END IF;
        SELECT f INTO v_filter FROM jsonb_array_elements(p_ledger.filters) AS f
        WHERE f ->> 'column' = v_key
            AND (f ->> 'op' = 'is null'
                 OR (f ->> 'op' IN ('=', 'in') AND jsonb_array_length(f -> 'values') = 1))
        LIMIT 1;
        IF v_filter IS NOT NULL THEN
            p_fixed := p_fixed || jsonb_build_object(v_key, CASE
                WHEN v_filter ->> 'op' = 'is null' THEN 'null'::jsonb
                ELSE _recon.stored_text(p_ledger.relid, v_key, v_filter -> 'values' ->> 0) END);
        ELSE
            p_filled := p_filled || v_key;
        END IF;
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.writer_rule_keys(_recon.ledger_source, _recon.writer) IS
'Step 1 of _recon.writer_rule_entry: the key values of effect rules every row of INSERT writer '
'p_writer has (p_fixed: a constant of "columns", or the one value of a filter, as the column '
'stores it, read back as text; JSON null for "is null"), and the key columns the toolkit fills '
'per row from the chosen rule (p_filled); p_refused says why the writer cannot post at all (a '
'parent key, a key mapped to a template), else NULL.';

REVOKE EXECUTE ON FUNCTION _recon.writer_rule_keys(_recon.ledger_source, _recon.writer)
FROM PUBLIC;
