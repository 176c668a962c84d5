-- _recon.compile_coverage(): owners with no wallet row (missing wallets, seed 003).
CREATE OR REPLACE FUNCTION _recon.compile_coverage(p_name text, p_options jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_wallet _recon.wallet_source := _recon.wallet(p_options ->> 'wallet');
    v_relid oid := _recon.resolve_table(p_options ->> 'owner_table');
    v_owner_key name := _recon.resolve_column(v_relid, p_options ->> 'owner_key', 'the owner key');
    v_wallet_col text := COALESCE(p_options ->> 'wallet_column', v_wallet.owner_column);
    v_balance text := 'NULL';
    v_where text;
BEGIN
    IF v_wallet_col IS NULL THEN
        PERFORM _recon.fail(
            'RC106', format('wallet source %s has no owner column', v_wallet.name),
            'A coverage check matches owners to wallets through the wallet''s owner column.',
            'Register the wallet source with {"owner": "<column>"} or give "wallet_column".'
        );
    END IF;
    PERFORM _recon.resolve_column(v_wallet.relid, v_wallet_col, 'the wallet owner');
    PERFORM _recon.same_key_type(v_relid, v_owner_key, v_wallet.relid, v_wallet_col::name);
    IF p_options ? 'owner_balance' THEN
        v_balance := format('o.%I', _recon.resolve_column(
            v_relid, p_options ->> 'owner_balance', 'the owner''s legacy balance', TRUE));
    END IF;
    v_where := _recon.exclude_sql(v_relid, 'o', p_options);
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       o.%2$I::text AS wallet_key,
       0::numeric AS stored,
       COALESCE(%3$s, 0)::numeric AS expected,
       (0 - COALESCE(%3$s, 0))::numeric AS difference,
       jsonb_build_object('item', 'wallet', 'owner', o.%2$I, 'cause', 'missing_wallet') AS details
FROM %4$s AS o
WHERE %5$s
  AND NOT EXISTS (SELECT FROM %6$s AS w WHERE w.%7$I = o.%2$I)$sql$,
        p_name, v_owner_key, v_balance, v_relid::regclass, v_where, v_wallet.relid::regclass,
        v_wallet_col
    );
END;
$body$;

COMMENT ON FUNCTION _recon.compile_coverage(text, jsonb) IS
'Compiles a coverage check: rows of owner_table whose owner_key has no wallet (matched on the '
'wallet''s owner column); expected is the owner''s legacy balance when owner_balance is given.';

REVOKE EXECUTE ON FUNCTION _recon.compile_coverage(text, jsonb) FROM PUBLIC;
