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
    -- (or domains over them: a cast from a domain is never used) are read.
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
    WHERE NOT a.attisdropped
      AND (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END)::integer >= 16384
    ORDER BY c.relid, a.attnum
    LIMIT 1;
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
'operation columns) is of a built-in type or a domain over one: a cast from a user''s type can '
'be that user''s function, which would run as the toolkit''s owner.';

REVOKE EXECUTE ON FUNCTION _recon.guard_require_builtin_types(
    _recon.ledger_source, _recon.wallet_source
) FROM PUBLIC;
