-- _recon.writer_filter_columns(): the filter columns an insert writer sets, or cannot.
CREATE OR REPLACE FUNCTION _recon.writer_filter_columns(
    p_ledger _recon.ledger_source, p_writer _recon.writer, INOUT p_cols text[],
    INOUT p_vals text[]
)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_col text;
    v_filter jsonb;
    v_keeps boolean;
    v_one _recon.ledger_source;
BEGIN
    -- Entry filters: the row must be one the filters keep. A filter "=" (or "in" with one
    -- value) gives its column's value, "is null" a NULL; any other needs the mapping to set
    -- the column (a constant is checked here; a template by the repair's verification).
    FOR v_filter IN SELECT f FROM jsonb_array_elements(p_ledger.filters) AS f LOOP
        v_col := v_filter ->> 'column';
        IF quote_ident(v_col) = ANY (p_cols) THEN
            PERFORM _recon.fail(
                'RC305', format('writer for %s cannot satisfy the filter on %I', p_ledger.name,
                                v_col),
                format('The toolkit fills %I from the repair, and the ledger counts only rows '
                       || 'with %s.', v_col, v_filter),
                'Register the ledger without that filter, or repair it with a posting '
                || 'function.');
        ELSIF p_writer.column_map ? v_col THEN
            IF strpos(p_writer.column_map ->> v_col, '{') = 0 THEN
                v_one := p_ledger;
                v_one.filters := jsonb_build_array(v_filter);
                EXECUTE format('SELECT %s FROM (SELECT %L::%s AS %I) AS r',
                               _recon.guard_filter_sql(v_one, 'r'),
                               p_writer.column_map ->> v_col,
                               _recon.column_type_sql(p_ledger.relid, v_col), v_col)
                INTO v_keeps;
                IF v_keeps IS NOT TRUE THEN
                    PERFORM _recon.fail(
                        'RC305', format('writer for %s writes %I = %L, a row its filter drops',
                                        p_ledger.name, v_col, p_writer.column_map ->> v_col),
                        format('The ledger counts only rows with %s.', v_filter),
                        format('Map %I to a value the filter keeps.', v_col));
                END IF;
            END IF;
        ELSIF v_filter ->> 'op' = 'is null' THEN
            p_cols := p_cols || quote_ident(v_col);
            p_vals := p_vals || format('NULL::%s', _recon.column_type_sql(p_ledger.relid, v_col));
        ELSIF v_filter ->> 'op' IN ('=', 'in') AND jsonb_array_length(v_filter -> 'values') = 1
        THEN
            p_cols := p_cols || quote_ident(v_col);
            p_vals := p_vals || format('%L::%s', v_filter -> 'values' ->> 0,
                                       _recon.column_type_sql(p_ledger.relid, v_col));
        ELSIF p_ledger.kinds -> 'keys' ? v_col THEN
            -- a key of the effect rules: written per row with the rule's value, which
            -- _recon.writer_rule_entry checks against this filter
            NULL;
        ELSE
            PERFORM _recon.fail(
                'RC305', format('writer for %s does not set %I, which a filter reads',
                                p_ledger.name, v_col),
                format('The ledger counts only rows with %s: the toolkit cannot choose a '
                       || 'value for it.', v_filter),
                format('Set it in "columns", e.g. {"%s": "<a value the filter keeps>"}.', v_col));
        END IF;
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.writer_filter_columns(
    _recon.ledger_source, _recon.writer, text[], text[]
) IS
'For _recon.writer_insert_sql: appends to p_cols and p_vals each column a filter of the ledger '
'reads that neither the toolkit (p_cols so far) nor "columns" fills: the one value of "=" or '
'"in", NULL for "is null"; a key of effect rules is left to _recon.writer_rule_entry. RC305 '
'when a filter cannot be satisfied (a toolkit column, a mapped constant the filter drops, no '
'value to choose).';

REVOKE EXECUTE ON FUNCTION _recon.writer_filter_columns(
    _recon.ledger_source, _recon.writer, text[], text[]
) FROM PUBLIC;
