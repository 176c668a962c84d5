-- _recon.guard_double_entry_types(): refuse a double_entry guard over columns of a type a user
-- made.
CREATE OR REPLACE FUNCTION _recon.guard_double_entry_types(p_ledger _recon.ledger_source)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_column text;
BEGIN
    -- A double_entry guard's statement trigger function (_recon.tg_guard_<id>_stmt) and its
    -- commit-time journal sum run as the toolkit's owner, in both modes, and convert the
    -- journal to text and back, the direction to text (through the legs relation: a cast,
    -- not the enum's output function) and the amounts to numeric. A cast from a type its
    -- owner made can be that owner's function (CREATE CAST ... WITH FUNCTION, even after the
    -- guard is enabled), which would run as the toolkit's owner: as for a block-mode drift
    -- guard (_recon.guard_require_builtin_types), only built-in types and domains over them
    -- are read, and here no enum either.
    SELECT format('%s.%I (%s)', p_ledger.relid::regclass, a.attname,
                  format_type(a.atttypid, NULL))
    INTO v_column
    FROM pg_attribute AS a
    JOIN pg_type AS t ON t.oid = a.atttypid
    JOIN pg_type AS b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
    WHERE a.attrelid = p_ledger.relid AND NOT a.attisdropped AND b.oid::integer >= 16384
      AND a.attname = ANY (ARRAY[p_ledger.wallet_column, p_ledger.debit_wallet_column,
                                 p_ledger.credit_wallet_column, p_ledger.amount_column,
                                 p_ledger.direction_column, p_ledger.operation_column,
                                 p_ledger.journal_column, p_ledger.currency_column]
                           || ARRAY(SELECT p.value ->> 'via'
                                    FROM jsonb_each(COALESCE(p_ledger.parents, '{}'))
                                        AS p (key, value)
                                    WHERE strpos(p.value ->> 'via', '.') = 0))
    ORDER BY a.attnum
    LIMIT 1;
    -- an entry filter compares with its column type's operator: one that is not
    -- pg_catalog's would run as the toolkit's owner
    IF v_column IS NULL
       AND _recon.guard_filter_sql(p_ledger, 'new') ~ 'OPERATOR\((?!pg_catalog\.)' THEN
        v_column := format('the entry filters of %s (an operator that is not pg_catalog''s)',
                           p_ledger.relid::regclass);
    END IF;
    IF v_column IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC406', format('a double_entry guard cannot read %s', v_column),
            'Its statement trigger function and journal sum run as the toolkit''s owner and '
            || 'convert the journals, directions and amounts they read; a type made by a user '
            || '(an enum, too: it is read through a cast) can carry a cast that runs that '
            || 'user''s code, which would run as the toolkit''s owner.',
            'Use a built-in type (or a domain over one) for that column, or check journals '
            || 'with reconcile (the journal check); docs/GUARDS.md "Block mode".');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_double_entry_types(_recon.ledger_source) IS
'RC406 unless every column a double_entry guard''s functions (SECURITY DEFINER, both modes) '
'convert or compare (the ledger''s wallet, amount, direction, operation, journal and currency '
'columns, and the columns its parents are reached through) is of a built-in type or a domain '
'over one (no enum: the legs relation casts it to text), and every entry filter uses a '
'pg_catalog operator: a cast or operator of a user''s type can be that user''s function, which '
'would run as the toolkit''s owner.';

REVOKE EXECUTE ON FUNCTION _recon.guard_double_entry_types(_recon.ledger_source) FROM PUBLIC;
