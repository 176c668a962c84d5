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
    v_col text;
    v_value text;
    v_missing text;
BEGIN
    -- Filled by the toolkit from the posting (_recon.writer_toolkit_columns).
    SELECT t.p_cols, t.p_vals INTO v_cols, v_vals
    FROM _recon.writer_toolkit_columns(v_ledger, p_writer, v_cols, v_vals) AS t;
    -- Entry filters: the row must be one the filters keep (_recon.writer_filter_columns).
    SELECT f.p_cols, f.p_vals INTO v_cols, v_vals
    FROM _recon.writer_filter_columns(v_ledger, p_writer, v_cols, v_vals) AS f;
    -- Effects keyed on several columns: a key column the mapping does not set and no filter
    -- reads takes the value of the rule the row is to match (_recon.writer_rule_entry, "keys");
    -- a constant in "columns" fixes it. A template cannot be matched to a rule before posting.
    FOR v_col IN SELECT k FROM jsonb_array_elements_text(v_ledger.kinds -> 'keys') AS k
                 WHERE NOT (k = 'side' AND v_ledger.shape <> 'entries') LOOP
        IF strpos(v_col, '.') > 0 THEN
            PERFORM _recon.fail(
                'RC305', format('writer for %s cannot post: its effect rules read %s', v_ledger.name,
                                v_col),
                'An INSERT writes one ledger row, not the parent row the rules read.',
                'Register a posting function ({"function": "schema.post(jsonb)"}); docs/REPAIRS.md.');
        ELSIF p_writer.column_map ? v_col AND strpos(p_writer.column_map ->> v_col, '{') > 0 THEN
            PERFORM _recon.fail(
                'RC305', format('column %I, a key of the effect rules, must not be a template',
                                v_col),
                format('Got %s: which rule the row matches, and so what it moves, would be known '
                       || 'only after posting.', p_writer.column_map -> v_col),
                format('Map %I to a constant, or leave it out: the toolkit then writes the value of '
                       || 'the rule whose effect the repair needs.', v_col));
        ELSIF NOT p_writer.column_map ? v_col AND quote_ident(v_col) <> ALL (v_cols) THEN
            v_cols := v_cols || quote_ident(v_col);
            v_vals := v_vals || format('($1 -> %L ->> %L)::%s', 'keys', v_col,
                                       _recon.column_type_sql(v_ledger.relid, v_col));
        END IF;
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
    -- Minor units: the amount and running balances the posting gives in major units are
    -- written as whole minor units, never rounded (RC321 when posting).
    IF v_ledger.amount_scale IS NOT NULL THEN
        v_vals := _recon.writer_minor_sql(v_ledger, v_cols, v_vals);
    END IF;
    -- No column it writes is one PostgreSQL computes (GENERATED ALWAYS AS, an identity GENERATED
    -- ALWAYS): the INSERT would fail at every posting (428C9).
    SELECT string_agg(format('%I (%s)', a.attname,
                             CASE WHEN a.attgenerated <> '' THEN 'GENERATED ALWAYS AS '
                                       || pg_catalog.pg_get_expr(d.adbin, d.adrelid)
                                  ELSE 'GENERATED ALWAYS AS IDENTITY' END), ', ' ORDER BY a.attnum)
    INTO v_missing
    FROM pg_catalog.pg_attribute AS a
    LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = v_ledger.relid AND a.attnum > 0 AND NOT a.attisdropped
      AND (a.attgenerated <> '' OR a.attidentity = 'a')
      AND quote_ident(a.attname) = ANY (v_cols);
    IF v_missing IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC305', format('writer for %s would write column(s) PostgreSQL computes: %s',
                            v_ledger.name, v_missing),
            'An INSERT cannot set a generated column, nor an identity GENERATED ALWAYS one.',
            'Leave the identity out of "columns"; register the ledger on a column the writer can '
            || 'set (e.g. the gross amount, with the computed one a check of its own), or '
            || 'register a posting function ({"function": "schema.post(jsonb)"}).');
    END IF;
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
'The INSERT an insert writer posts one entry with: the registered ledger columns (wallet, amount, '
'direction or type, running balance, reference, journal, posting time) from the posting JSON '
'($1), the mapped columns from their templates; RETURNING the entry''s id. On transfer rows one '
'row between the wallet and the offset wallet (debit: the one giving); filter columns set to a '
'value the filters keep (the one value of "=" or "in", NULL for "is null", else the mapping''s); '
'each running balance of a per-column "balance_after" from the posting''s "after"; the keys of '
'effect rules no constant or filter fixes from its "keys" (_recon.writer_rule_entry); on a ledger '
'of minor units the amount and running balances converted from major units '
'(_recon.writer_minor_sql). RC305 when a NOT NULL column would have no value, a column it '
'writes is generated (or an identity GENERATED ALWAYS), a mapped column is '
'the toolkit''s, a filter cannot be satisfied, a rule key is a template or a parent column, or a '
'template is bad.';

REVOKE EXECUTE ON FUNCTION _recon.writer_insert_sql(_recon.writer) FROM PUBLIC;
