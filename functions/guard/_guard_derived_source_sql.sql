-- _recon.guard_derived_source_sql(): the wallets whose derived value a source statement moved.
CREATE OR REPLACE FUNCTION _recon.guard_derived_source_sql(
    p_wallet _recon.wallet_source, p_join name, p_key name, p_table text
)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT format(
        'INSERT INTO _recon.guard_pending AS p (txid, guard_id, fix_id, item, col, stored, ledger) '
        || 'SELECT DISTINCT pg_current_xact_id(), $1, $2, w.%1$I::text, ''*'', 0, 0 '
        || 'FROM %2$s AS t JOIN %3$s AS w ON w.%4$I = t.%5$I '
        || 'ON CONFLICT (txid, guard_id, fix_id, item, col) DO NOTHING',
        p_wallet.key_column, p_table, p_wallet.relid::regclass, p_join, p_key);
$body$;

COMMENT ON FUNCTION _recon.guard_derived_source_sql(_recon.wallet_source, name, name, text) IS
'SQL staging, for a derived guard, the wallets matched by the rows of transition table p_table '
'(source rows inserted, updated or deleted): each is checked at commit.';

REVOKE EXECUTE ON FUNCTION _recon.guard_derived_source_sql(_recon.wallet_source, name, name, text)
FROM PUBLIC;
