-- _recon.balance_state_key(): the type (and collation) a balance check's state is keyed on.
CREATE OR REPLACE FUNCTION _recon.balance_state_key(
    p_ledger _recon.ledger_source, OUT p_type regtype, OUT p_collation oid
)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- The wallet key's own type and collation when the ledger's wallet column(s) have them
    -- too: keys are then equal in the state exactly when the check's GROUP BY and join find
    -- them equal (citext, a nondeterministic collation, numeric included). Otherwise text,
    -- which needs keys equal exactly when their texts are (_recon.ledger_keys_text_unequal).
    SELECT CASE WHEN k.same THEN k.typ ELSE 'text'::regtype END,
           CASE WHEN k.same THEN k.coll ELSE 0::oid END
    FROM (
        SELECT a.atttypid::regtype AS typ, a.attcollation AS coll,
               NOT EXISTS (
                   SELECT FROM unnest(ARRAY[p_ledger.wallet_column, p_ledger.debit_wallet_column,
                                            p_ledger.credit_wallet_column]) AS c (col)
                   LEFT JOIN pg_attribute AS l
                       ON l.attrelid = p_ledger.relid AND l.attname = c.col
                   WHERE c.col IS NOT NULL
                     AND (l.atttypid IS DISTINCT FROM a.atttypid
                          OR l.attcollation IS DISTINCT FROM a.attcollation)
               ) AS same
        FROM _recon.wallet_source AS w
        JOIN pg_attribute AS a ON a.attrelid = w.relid AND a.attname = w.key_column
        WHERE w.name = p_ledger.wallet_source
    ) AS k;
$body$;

COMMENT ON FUNCTION _recon.balance_state_key(_recon.ledger_source) IS
'The key type and collation of a balance check''s per-wallet state (_recon.balance_state_create): '
'the wallet key column''s own when every wallet column of the ledger has the same type and '
'collation, else text (and 0, the type''s default collation).';

REVOKE EXECUTE ON FUNCTION _recon.balance_state_key(_recon.ledger_source) FROM PUBLIC;
