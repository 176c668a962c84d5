-- _recon.writer_insert_sql(): the INSERT an insert writer posts one entry with.
CREATE OR REPLACE FUNCTION _recon.writer_insert_sql(p_writer _recon.writer)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(p_writer.ledger_source);
    v_cols text[] := '{}'::text[];
    v_vals text[] := '{}'::text[];
    v_auto jsonb;
    v_col text;
    v_value text;
    v_missing text;
BEGIN
    -- Filled by the toolkit from the posting: column -> key of the posting JSON ($1).
    v_auto := jsonb_build_object(
        v_ledger.wallet_column, 'wallet',
        v_ledger.amount_column, 'amount',
        COALESCE(v_ledger.direction_column, v_ledger.operation_column, ''), 'entry_type',
        COALESCE(v_ledger.balance_after_column, ''), 'balance_after',
        COALESCE(v_ledger.reference_column, ''), 'reference',
        COALESCE(CASE WHEN p_writer.journal IS NOT NULL THEN v_ledger.journal_column END, ''),
        'journal'
    ) - '';
    FOR v_col, v_value IN SELECT a.key, a.value FROM jsonb_each_text(v_auto) AS a LOOP
        IF p_writer.column_map ? v_col THEN
            PERFORM _recon.fail(
                'RC305', format('column %I is filled by the toolkit', v_col),
                format('The ledger registration names it (%s); its value comes from the repair.',
                       v_value),
                'Leave it out of "columns".');
        END IF;
        v_cols := v_cols || quote_ident(v_col);
        v_vals := v_vals || format('($1 ->> %L)::%s', v_value,
                                   _recon.column_type_sql(v_ledger.relid, v_col));
    END LOOP;
    -- The posting time, when the ledger has one and the mapping does not set it.
    IF v_ledger.posted_at_column IS NOT NULL AND NOT p_writer.column_map ? v_ledger.posted_at_column
        AND quote_ident(v_ledger.posted_at_column) <> ALL (v_cols) THEN
        v_cols := v_cols || quote_ident(v_ledger.posted_at_column);
        v_vals := v_vals || format('now()::%s',
                                   _recon.column_type_sql(v_ledger.relid, v_ledger.posted_at_column));
    END IF;
    FOR v_col, v_value IN SELECT m.key, m.value FROM jsonb_each(p_writer.column_map) AS m LOOP
        IF jsonb_typeof(v_value::jsonb) <> 'string' THEN
            PERFORM _recon.fail('RC305', format('value for column %I must be a string', v_col),
                                format('Got %s.', v_value),
                                'Constants and templates are strings, e.g. "ADJUSTMENT".');
        END IF;
        PERFORM _recon.resolve_column(v_ledger.relid, v_col, 'a writer column');
        v_cols := v_cols || quote_ident(v_col);
        v_vals := v_vals || format('%s::%s',
                                   _recon.template_sql(v_value::jsonb #>> '{}', 'column ' || v_col),
                                   _recon.column_type_sql(v_ledger.relid, v_col));
    END LOOP;
    -- Every column that needs a value gets one.
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO v_missing
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = v_ledger.relid AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''
      AND quote_ident(a.attname) <> ALL (v_cols);
    IF v_missing IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC305', format('writer for %s leaves NOT NULL column(s) %s without a value',
                            v_ledger.name, v_missing),
            'They have no default, and neither the ledger registration nor "columns" fills them.',
            'Map them in "columns", e.g. {"id": "{uuid}", "type": "ADJUSTMENT"}, or register a '
            || 'posting function.');
    END IF;
    RETURN format('INSERT INTO %s AS l (%s) VALUES (%s) RETURNING (%s)::text',
                  v_ledger.relid::regclass, array_to_string(v_cols, ', '),
                  array_to_string(v_vals, ', '), _recon.entry_name_sql(v_ledger, 'l'));
END;
$body$;

COMMENT ON FUNCTION _recon.writer_insert_sql(_recon.writer) IS
'The INSERT an insert writer posts one entry with: the registered ledger columns (wallet, '
'amount, direction or type, running balance, reference, journal, posting time) from the '
'posting JSON ($1), the mapped columns from their templates; RETURNING the entry''s id. RC305 '
'when a NOT NULL column would have no value, a mapped column is the toolkit''s, or a template '
'is bad.';

REVOKE EXECUTE ON FUNCTION _recon.writer_insert_sql(_recon.writer) FROM PUBLIC;
