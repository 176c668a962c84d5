-- _recon.writer_toolkit_columns(): the columns an insert writer fills from the posting.
CREATE OR REPLACE FUNCTION _recon.writer_toolkit_columns(
    p_ledger _recon.ledger_source, p_writer _recon.writer, INOUT p_cols text[],
    INOUT p_vals text[]
)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_auto jsonb;
    v_col text;
    v_value text;
BEGIN
    -- Filled by the toolkit from the posting: column -> key of the posting JSON ($1).
    v_auto := jsonb_build_object(
        COALESCE(p_ledger.wallet_column, ''), 'wallet',
        p_ledger.amount_column, 'amount',
        COALESCE(p_ledger.direction_column, p_ledger.operation_column, ''), 'entry_type',
        COALESCE(p_ledger.balance_after_column, ''), 'balance_after',
        COALESCE(p_ledger.reference_column, ''), 'reference',
        COALESCE(CASE WHEN p_writer.journal IS NOT NULL THEN p_ledger.journal_column END, ''),
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
        p_cols := p_cols || quote_ident(v_col);
        p_vals := p_vals || format('($1 ->> %L)::%s', v_value,
                                   _recon.column_type_sql(p_ledger.relid, v_col));
    END LOOP;
    -- A currency per row: the wallet's currency (the step's, _recon.fix_post_sides), unless
    -- "columns" sets it. One of a parent row (tx.currency) no INSERT of one row can write.
    IF p_ledger.currency_column IS NOT NULL AND NOT p_writer.column_map ? p_ledger.currency_column
    THEN
        IF strpos(p_ledger.currency_column, '.') > 0 THEN
            PERFORM _recon.fail(
                'RC305', format('writer for %s cannot post: each entry''s currency is %s',
                                p_ledger.name, p_ledger.currency_column),
                'An INSERT writes one ledger row, not the parent row that holds the currency.',
                'Register a posting function ({"function": "schema.post(jsonb)"}); '
                || 'docs/REPAIRS.md.');
        END IF;
        p_cols := p_cols || quote_ident(p_ledger.currency_column);
        p_vals := p_vals || format('($1 ->> %L)::%s', 'currency',
                                   _recon.column_type_sql(p_ledger.relid,
                                                          p_ledger.currency_column));
    END IF;
    -- A running balance per balance column: each the wallet's previous one plus the entry's
    -- effect on that column, as the chain check reads it (_recon.fix_post computes "after").
    FOR v_col, v_value IN SELECT a.key, a.value FROM jsonb_each_text(p_ledger.after_columns) AS a
    LOOP
        IF p_writer.column_map ? v_value THEN
            PERFORM _recon.fail(
                'RC305', format('column %I is filled by the toolkit', v_value),
                format('The ledger registration names it (the running balance of %s); its value '
                       || 'comes from the repair.', v_col),
                'Leave it out of "columns".');
        END IF;
        p_cols := p_cols || quote_ident(v_value);
        p_vals := p_vals || format('($1 -> %L ->> %L)::%s', 'after', v_col,
                                   _recon.column_type_sql(p_ledger.relid, v_value));
    END LOOP;
    -- Transfer rows: a posting between the wallet and the offset wallet is one row, from the
    -- wallet that gives to the one that receives (a debit of the wallet, or a credit), its
    -- amount positive (_recon.entry_for). With effects keyed on several columns, "leg" is the
    -- side of the rule the row takes (_recon.writer_rule_entry).
    IF p_ledger.shape = 'transfer' THEN
        FOREACH v_col IN ARRAY ARRAY[p_ledger.debit_wallet_column, p_ledger.credit_wallet_column]
        LOOP
            IF p_writer.column_map ? v_col THEN
                PERFORM _recon.fail(
                    'RC305', format('column %I is filled by the toolkit', v_col),
                    'The ledger registration names it (a transfer''s debit or credit wallet); '
                    || 'its value comes from the repair and the offset wallet.',
                    'Leave it out of "columns".');
            END IF;
        END LOOP;
        p_cols := p_cols || quote_ident(p_ledger.debit_wallet_column)
            || quote_ident(p_ledger.credit_wallet_column);
        p_vals := p_vals
            || format('(CASE WHEN COALESCE($1 ->> %6$L, $1 ->> %1$L) = %2$L THEN $1 ->> %3$L '
                      || 'ELSE $1 ->> %4$L END)::%5$s',
                      'entry_type', 'debit', 'wallet', 'offset_wallet',
                      _recon.column_type_sql(p_ledger.relid, p_ledger.debit_wallet_column), 'leg')
            || format('(CASE WHEN COALESCE($1 ->> %6$L, $1 ->> %1$L) = %2$L THEN $1 ->> %3$L '
                      || 'ELSE $1 ->> %4$L END)::%5$s',
                      'entry_type', 'debit', 'offset_wallet', 'wallet',
                      _recon.column_type_sql(p_ledger.relid, p_ledger.credit_wallet_column), 'leg');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.writer_toolkit_columns(
    _recon.ledger_source, _recon.writer, text[], text[]
) IS
'For _recon.writer_insert_sql: appends to p_cols and p_vals the registered ledger columns the '
'toolkit fills from the posting JSON ($1): wallet, amount, direction or type, running balance, '
'reference, journal (with a journal template), the currency of a ledger with one per row '
'(unless "columns" sets it; RC305 when it is a parent row''s), each running balance of a '
'per-column "balance_after", and on transfer rows the debit and credit wallets. RC305 when '
'"columns" maps one of them.';

REVOKE EXECUTE ON FUNCTION _recon.writer_toolkit_columns(
    _recon.ledger_source, _recon.writer, text[], text[]
) FROM PUBLIC;
