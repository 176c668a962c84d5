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
    v_filter jsonb;
    v_keeps boolean;
    v_one _recon.ledger_source;
BEGIN
    -- Filled by the toolkit from the posting: column -> key of the posting JSON ($1).
    v_auto := jsonb_build_object(
        COALESCE(v_ledger.wallet_column, ''), 'wallet',
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
    -- A running balance per balance column: each the wallet's previous one plus the entry's
    -- effect on that column, as the chain check reads it (_recon.fix_post computes "after").
    FOR v_col, v_value IN SELECT a.key, a.value FROM jsonb_each_text(v_ledger.after_columns) AS a
    LOOP
        IF p_writer.column_map ? v_value THEN
            PERFORM _recon.fail(
                'RC305', format('column %I is filled by the toolkit', v_value),
                format('The ledger registration names it (the running balance of %s); its value '
                       || 'comes from the repair.', v_col),
                'Leave it out of "columns".');
        END IF;
        v_cols := v_cols || quote_ident(v_value);
        v_vals := v_vals || format('($1 -> %L ->> %L)::%s', 'after', v_col,
                                   _recon.column_type_sql(v_ledger.relid, v_value));
    END LOOP;
    -- Transfer rows: a posting between the wallet and the offset wallet is one row, from the
    -- wallet that gives to the one that receives (a debit of the wallet, or a credit), its
    -- amount positive (_recon.entry_for). With effects keyed on several columns, "leg" is the
    -- side of the rule the row takes (_recon.writer_rule_entry).
    IF v_ledger.shape = 'transfer' THEN
        FOREACH v_col IN ARRAY ARRAY[v_ledger.debit_wallet_column, v_ledger.credit_wallet_column]
        LOOP
            IF p_writer.column_map ? v_col THEN
                PERFORM _recon.fail(
                    'RC305', format('column %I is filled by the toolkit', v_col),
                    'The ledger registration names it (a transfer''s debit or credit wallet); '
                    || 'its value comes from the repair and the offset wallet.',
                    'Leave it out of "columns".');
            END IF;
        END LOOP;
        v_cols := v_cols || quote_ident(v_ledger.debit_wallet_column)
            || quote_ident(v_ledger.credit_wallet_column);
        v_vals := v_vals
            || format('(CASE WHEN COALESCE($1 ->> %6$L, $1 ->> %1$L) = %2$L THEN $1 ->> %3$L '
                      || 'ELSE $1 ->> %4$L END)::%5$s',
                      'entry_type', 'debit', 'wallet', 'offset_wallet',
                      _recon.column_type_sql(v_ledger.relid, v_ledger.debit_wallet_column), 'leg')
            || format('(CASE WHEN COALESCE($1 ->> %6$L, $1 ->> %1$L) = %2$L THEN $1 ->> %3$L '
                      || 'ELSE $1 ->> %4$L END)::%5$s',
                      'entry_type', 'debit', 'offset_wallet', 'wallet',
                      _recon.column_type_sql(v_ledger.relid, v_ledger.credit_wallet_column), 'leg');
    END IF;
    -- Entry filters: the row must be one the filters keep. A filter "=" (or "in" with one
    -- value) gives its column's value, "is null" a NULL; any other needs the mapping to set
    -- the column (a constant is checked here; a template by the repair's verification).
    FOR v_filter IN SELECT f FROM jsonb_array_elements(v_ledger.filters) AS f LOOP
        v_col := v_filter ->> 'column';
        IF quote_ident(v_col) = ANY (v_cols) THEN
            PERFORM _recon.fail(
                'RC305', format('writer for %s cannot satisfy the filter on %I', v_ledger.name,
                                v_col),
                format('The toolkit fills %I from the repair, and the ledger counts only rows '
                       || 'with %s.', v_col, v_filter),
                'Register the ledger without that filter, or repair it with a posting '
                || 'function.');
        ELSIF p_writer.column_map ? v_col THEN
            IF strpos(p_writer.column_map ->> v_col, '{') = 0 THEN
                v_one := v_ledger;
                v_one.filters := jsonb_build_array(v_filter);
                EXECUTE format('SELECT %s FROM (SELECT %L::%s AS %I) AS r',
                               _recon.guard_filter_sql(v_one, 'r'),
                               p_writer.column_map ->> v_col,
                               _recon.column_type_sql(v_ledger.relid, v_col), v_col)
                INTO v_keeps;
                IF v_keeps IS NOT TRUE THEN
                    PERFORM _recon.fail(
                        'RC305', format('writer for %s writes %I = %L, a row its filter drops',
                                        v_ledger.name, v_col, p_writer.column_map ->> v_col),
                        format('The ledger counts only rows with %s.', v_filter),
                        format('Map %I to a value the filter keeps.', v_col));
                END IF;
            END IF;
        ELSIF v_filter ->> 'op' = 'is null' THEN
            v_cols := v_cols || quote_ident(v_col);
            v_vals := v_vals || format('NULL::%s', _recon.column_type_sql(v_ledger.relid, v_col));
        ELSIF v_filter ->> 'op' IN ('=', 'in') AND jsonb_array_length(v_filter -> 'values') = 1
        THEN
            v_cols := v_cols || quote_ident(v_col);
            v_vals := v_vals || format('%L::%s', v_filter -> 'values' ->> 0,
                                       _recon.column_type_sql(v_ledger.relid, v_col));
        ELSIF v_ledger.kinds -> 'keys' ? v_col THEN
            -- a key of the effect rules: written per row with the rule's value, which
            -- _recon.writer_rule_entry checks against this filter
            NULL;
        ELSE
            PERFORM _recon.fail(
                'RC305', format('writer for %s does not set %I, which a filter reads',
                                v_ledger.name, v_col),
                format('The ledger counts only rows with %s: the toolkit cannot choose a '
                       || 'value for it.', v_filter),
                format('Set it in "columns", e.g. {"%s": "<a value the filter keeps>"}.', v_col));
        END IF;
    END LOOP;
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
'(_recon.writer_minor_sql). RC305 when a NOT NULL column would have no value, a mapped column is '
'the toolkit''s, a filter cannot be satisfied, a rule key is a template or a parent column, or a '
'template is bad.';

REVOKE EXECUTE ON FUNCTION _recon.writer_insert_sql(_recon.writer) FROM PUBLIC;
