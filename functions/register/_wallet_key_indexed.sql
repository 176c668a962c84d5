-- _recon.wallet_key_indexed(): whether a unique index keeps a wallet key to one row per wallet.
CREATE OR REPLACE FUNCTION _recon.wallet_key_indexed(p_relid oid, p_key text)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT EXISTS (
        SELECT FROM pg_catalog.pg_index AS i
        JOIN pg_catalog.pg_attribute AS a
            ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = p_relid AND i.indisunique AND i.indisvalid
            AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL
            AND a.attname = p_key
    );
$body$;

COMMENT ON FUNCTION _recon.wallet_key_indexed(oid, text) IS
'TRUE when a primary key or a valid unique index, not partial, on exactly the one column p_key '
'of relation p_relid holds it to one row per key. A view or foreign table has no index: FALSE, '
'and a run then counts its repeated keys instead (_recon.wallet_keys_repeated).';

REVOKE EXECUTE ON FUNCTION _recon.wallet_key_indexed(oid, text) FROM PUBLIC;
