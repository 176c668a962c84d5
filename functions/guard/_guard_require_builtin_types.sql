-- _recon.guard_require_builtin_types(): refuse a sealed drift guard over columns of a type a
-- user made.
CREATE OR REPLACE FUNCTION _recon.guard_require_builtin_types(
    p_ledger _recon.ledger_source, p_wallet _recon.wallet_source
)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_column text;
BEGIN
    -- A sealed guard's trigger functions run as the toolkit's owner (SECURITY DEFINER) and
    -- cast the wallet key to text and the amounts and balances to numeric. A cast from a type
    -- its owner made can be a function its owner wrote (CREATE CAST ... WITH FUNCTION, now or
    -- after the guard is enabled): it would run as the toolkit's owner. Only built-in types
    -- (or domains over them: a cast from a domain is never used) are read, and enums as
    -- direction or operation types.
    SELECT format('%s.%I (%s)', c.relid::regclass, a.attname, format_type(a.atttypid, NULL))
    INTO v_column
    FROM (VALUES (p_wallet.relid, ARRAY[p_wallet.key_column] || p_wallet.balance_columns),
                 (p_ledger.relid, ARRAY[p_ledger.wallet_column, p_ledger.debit_wallet_column,
                                        p_ledger.credit_wallet_column, p_ledger.amount_column,
                                        p_ledger.direction_column,
                                        p_ledger.operation_column]))
        AS c (relid, cols)
    JOIN pg_attribute AS a ON a.attrelid = c.relid AND a.attname = ANY (c.cols)
    JOIN pg_type AS t ON t.oid = a.atttypid
    JOIN pg_type AS b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
    WHERE NOT a.attisdropped AND b.oid::integer >= 16384
      -- an enum's text is its label, read through the output function every enum has
      -- (pg_catalog.format, _recon.guard_drift_effect_sql): no cast of its owner is used. A
      -- ledger read as legs (statement triggers) casts it: refused there.
      AND NOT (b.typtype = 'e' AND c.relid = p_ledger.relid
               AND a.attname IN (p_ledger.direction_column, p_ledger.operation_column)
               AND p_ledger.parents IS NULL AND p_ledger.kinds IS NULL)
      -- an enum wallet key (the wallet's, an entry's wallet columns) is read by its label
      -- too (_recon.guard_text_sql), on every shape: the legs relation passes it as it is
      AND NOT (b.typtype = 'e'
               AND ((c.relid = p_wallet.relid AND a.attname = p_wallet.key_column)
                    OR (c.relid = p_ledger.relid
                        AND a.attname IN (p_ledger.wallet_column, p_ledger.debit_wallet_column,
                                          p_ledger.credit_wallet_column))))
    ORDER BY c.relid, a.attnum
    LIMIT 1;
    -- an entry filter compares with the operator of its column's type: one that is not
    -- pg_catalog's (a user's = for an enum) would run as the toolkit's owner
    IF v_column IS NULL
       AND _recon.guard_filter_sql(p_ledger, 'new') ~ 'OPERATOR\((?!pg_catalog\.)' THEN
        v_column := format('the entry filters of %s (an operator that is not pg_catalog''s)',
                           p_ledger.relid::regclass);
    END IF;
    IF v_column IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC406', format('a drift guard in block mode cannot read %s', v_column),
            'Its trigger functions run as the toolkit''s owner and convert the wallet keys, '
            || 'amounts and balances they read; a type made by a user can carry a cast that '
            || 'runs that user''s code, which would run as the toolkit''s owner.',
            'Use a built-in type (or a domain over one) for that column, or guard it in warn '
            || 'mode (which runs as the writer); docs/GUARDS.md "Block mode".');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_require_builtin_types(_recon.ledger_source, _recon.wallet_source)
IS
'RC406 unless every column a sealed (block-mode) drift guard''s SECURITY DEFINER trigger '
'functions convert (the wallet key and balances, the ledger''s wallet, amount, direction and '
'operation columns) is of a built-in type or a domain over one (an enum, too, as the direction '
'or operation column of a ledger read row by row, and as the wallet key or an entry''s '
'wallet column on any shape: its label is read through its output function), and every '
'entry filter uses a pg_catalog operator: a cast or operator of a user''s type can be that '
'user''s function, which would run as the toolkit''s owner.';

REVOKE EXECUTE ON FUNCTION _recon.guard_require_builtin_types(
    _recon.ledger_source, _recon.wallet_source
) FROM PUBLIC;
