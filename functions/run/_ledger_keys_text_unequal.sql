-- _recon.ledger_keys_text_unequal(): why a ledger's wallet keys cannot be kept as text, or NULL.
CREATE OR REPLACE FUNCTION _recon.ledger_keys_text_unequal(p_ledger _recon.ledger_source)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- the wallet source's key column first, then the ledger's wallet column(s)
    SELECT 'the wallet key ' || k.why || ' (the per-wallet state compares keys as text: the '
           || 'ledger''s wallet column has another type or collation)'
    FROM (
        SELECT _recon.key_text_unequal(w.relid, w.key_column) AS why, 0 AS i
        FROM _recon.wallet_source AS w WHERE w.name = p_ledger.wallet_source
        UNION ALL
        SELECT _recon.key_text_unequal(p_ledger.relid, c.col), c.i
        FROM unnest(ARRAY[p_ledger.wallet_column, p_ledger.debit_wallet_column,
                          p_ledger.credit_wallet_column]) WITH ORDINALITY AS c (col, i)
        WHERE c.col IS NOT NULL
    ) AS k
    WHERE k.why IS NOT NULL
      -- a state keyed on the wallet key's own type compares keys by its own equality (0032)
      AND (SELECT t.p_type = 'text'::regtype AND t.p_collation = 0
           FROM _recon.balance_state_key(p_ledger) AS t)
    ORDER BY k.i
    LIMIT 1;
$body$;

COMMENT ON FUNCTION _recon.ledger_keys_text_unequal(_recon.ledger_source) IS
'NULL when the per-wallet state is keyed on the wallet key''s own type '
'(_recon.balance_state_key: the ledger''s wallet column(s) have its type and collation), or '
'when the wallet key column of a ledger''s wallet source and the ledger''s wallet '
'column(s) keep keys equal exactly when their texts are (_recon.key_text_unequal), else why '
'not, for the first that does not: incremental mode then runs in full and says so.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_keys_text_unequal(_recon.ledger_source) FROM PUBLIC;
