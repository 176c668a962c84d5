-- _recon.writer_rule_filter_refusal(): why a row's filled key values are ones a filter drops.
CREATE OR REPLACE FUNCTION _recon.writer_rule_filter_refusal(
    p_ledger _recon.ledger_source, p_filled text[], p_row jsonb, p_label text
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_filter jsonb;
    v_keeps boolean;
    v_one _recon.ledger_source;
BEGIN
    -- a filled key must be a value the filters keep (the row would not count otherwise)
    v_keeps := TRUE;
    FOR v_filter IN SELECT f FROM jsonb_array_elements(p_ledger.filters) AS f
                    WHERE f ->> 'column' = ANY (p_filled) LOOP
        v_one := p_ledger;
        v_one.filters := jsonb_build_array(v_filter);
        EXECUTE format('SELECT %s FROM (SELECT %L::%s AS %I) AS r',
                       _recon.guard_filter_sql(v_one, 'r'), p_row ->> (v_filter ->> 'column'),
                       _recon.column_type_sql(p_ledger.relid, v_filter ->> 'column'),
                       v_filter ->> 'column')
        INTO v_keeps;
        EXIT WHEN v_keeps IS NOT TRUE;
    END LOOP;
    IF v_keeps IS NOT TRUE THEN
        RETURN format('rule %s needs %s = %s, a row the filter %s drops',
                      p_label, v_filter ->> 'column',
                      COALESCE(p_row ->> (v_filter ->> 'column'), 'NULL'),
                      v_filter);
    END IF;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.writer_rule_filter_refusal(
    _recon.ledger_source, text[], jsonb, text
) IS
'For _recon.writer_rule_entry: why the row p_row (key column -> text) that would take rule '
'p_label is one a filter of ledger p_ledger on a filled key column (p_filled) drops, naming the '
'first such filter; NULL when the filters keep it.';

REVOKE EXECUTE ON FUNCTION _recon.writer_rule_filter_refusal(
    _recon.ledger_source, text[], jsonb, text
) FROM PUBLIC;
