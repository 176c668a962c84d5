-- _recon.wallet_keys_repeated(): RC203 when a wallet source of the checks repeats a wallet key.
CREATE OR REPLACE FUNCTION _recon.wallet_keys_repeated(p_names text[])
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_wallet _recon.wallet_source;
    v_key text;
    v_rows bigint;
BEGIN
    -- A key held unique by an index needs no look; a view (or a table whose unique index was
    -- dropped since its registration) is read once per run: with a key on two rows every
    -- balance, finding and repair of that wallet would be wrong.
    FOR v_wallet IN
        SELECT DISTINCT ON (w.name) w.* FROM _recon.check_def AS c
        LEFT JOIN _recon.ledger_source AS l ON l.name = c.ledger_source
        JOIN _recon.wallet_source AS w ON w.name IN (c.wallet_source, l.wallet_source)
        WHERE c.name = ANY (p_names) ORDER BY w.name
    LOOP
        CONTINUE WHEN _recon.wallet_key_indexed(v_wallet.relid, v_wallet.key_column);
        EXECUTE format('SELECT w.%1$I::text, count(*) FROM %2$s AS w WHERE w.%1$I IS NOT NULL '
                       || 'GROUP BY w.%1$I HAVING count(*) > 1 ORDER BY 1 LIMIT 1',
                       v_wallet.key_column, v_wallet.relid::regclass) INTO v_key, v_rows;
        IF v_rows IS NOT NULL THEN
            PERFORM _recon.fail(
                'RC203', format('wallet source %s repeats the wallet key %L', v_wallet.name, v_key),
                format('%s has %s rows with %s = %L (and may repeat other keys); a check reads one '
                       || 'row per wallet. Nothing was recorded.', v_wallet.relid::regclass,
                       v_rows, v_wallet.key_column, v_key),
                'Register a view with one row per wallet (e.g. one wallet per account and '
                || 'currency: key it by both, as account || '':'' || currency), or add a unique '
                || 'index on the key.');
        END IF;
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.wallet_keys_repeated(text[]) IS
'RC203 when a wallet source read by the checks p_names has a key on two or more rows: a view '
'(no index can say it is unique), or a table whose unique index on the key is gone; a key under '
'a primary key or unique index (_recon.wallet_key_indexed) is not read.';

REVOKE EXECUTE ON FUNCTION _recon.wallet_keys_repeated(text[]) FROM PUBLIC;
