-- _recon.wallet_keys_null(): whether a wallet source has rows without a key (NULL).
CREATE OR REPLACE FUNCTION _recon.wallet_keys_null(p_wallet _recon.wallet_source)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_found boolean;
BEGIN
    -- A NOT NULL key needs no look (registration requires it of a table); a view, a
    -- materialized view, or a table registered before that or whose NOT NULL was dropped since
    -- is asked (by its index on the key, where it has one).
    IF (SELECT a.attnotnull FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = p_wallet.relid AND a.attname = p_wallet.key_column) THEN
        RETURN FALSE;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT FROM %s AS w WHERE w.%I IS NULL)',
                   p_wallet.relid::regclass, p_wallet.key_column) INTO v_found;
    RETURN v_found;
END;
$body$;

COMMENT ON FUNCTION _recon.wallet_keys_null(_recon.wallet_source) IS
'TRUE when the wallet source p_wallet has a row whose key is NULL (no look when the key column '
'is NOT NULL). A balance check then runs in full from its view, where each such row is a '
'finding of its own (unknown_wallet, keyed -#n), never in the per-wallet state.';

REVOKE EXECUTE ON FUNCTION _recon.wallet_keys_null(_recon.wallet_source) FROM PUBLIC;
