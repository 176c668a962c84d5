-- _recon.check_floats(): the float amount and balance columns a check reads.
CREATE OR REPLACE FUNCTION _recon.check_floats(p_options jsonb)
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- Every (table, column) of money the check's options name or its sources register: the
    -- ledgers' amounts and running balances, their wallet sources' balances, the tables of a
    -- derived, total, coverage or orphan check. Those of type real or double precision.
    RETURN (WITH ledgers AS (
        SELECT l.* FROM _recon.ledger_source AS l
        WHERE l.name = p_options ->> 'ledger'
           OR (jsonb_typeof(p_options -> 'ledger') = 'array' AND p_options -> 'ledger' ? l.name)
    ), wallets AS (
        SELECT w.* FROM _recon.wallet_source AS w
        WHERE w.name = p_options ->> 'wallet' OR w.name IN (SELECT wallet_source FROM ledgers)
    ), money (relid, col) AS (
        SELECT l.relid, l.amount_column::text FROM ledgers AS l
        UNION ALL SELECT l.relid, l.balance_after_column FROM ledgers AS l
        UNION ALL SELECT l.relid, a.value #>> '{}' FROM ledgers AS l,
                                                   jsonb_each(l.after_columns) AS a
        UNION ALL SELECT w.relid, b FROM wallets AS w, unnest(w.balance_columns) AS b
        UNION ALL SELECT w.relid, p_options ->> 'column' FROM wallets AS w
        UNION ALL SELECT to_regclass(p_options ->> 'table'), c
                  FROM unnest(ARRAY[p_options ->> 'amount_column', p_options ->> 'value_column',
                                    p_options ->> 'minus_column']) AS c
        UNION ALL SELECT to_regclass(p_options ->> 'owner_table'), p_options ->> 'owner_balance'
        UNION ALL SELECT to_regclass(p_options -> s ->> 'table'), p_options -> s ->> 'column'
                  FROM unnest(ARRAY['stored', 'expected']) AS s
                  WHERE jsonb_typeof(p_options -> s) = 'object'
    )
    SELECT COALESCE(array_agg(DISTINCT format('%s.%I (%s)', m.relid::regclass, m.col,
                                              _recon.column_type(m.relid, m.col::name))),
                    ARRAY[]::text[])
    FROM money AS m
    WHERE m.relid IS NOT NULL AND m.col IS NOT NULL
      AND _recon.column_type(m.relid, m.col::name)
          IN ('real'::regtype, 'double precision'::regtype));
END;
$body$;

COMMENT ON FUNCTION _recon.check_floats(jsonb) IS
'The amount and balance columns of type real or double precision a check with options p_options '
'reads ("table.column (type)"): its ledgers'' amounts and running balances, their wallet '
'sources'' balances, the wallet source and the tables a derived, total, coverage or orphan check '
'names. Empty when none. Their findings carry "float_amounts" (docs/CHECKS.md "Minor units").';

REVOKE EXECUTE ON FUNCTION _recon.check_floats(jsonb) FROM PUBLIC;
