-- _recon.backfill_create_wallets(): the claimed new wallets, created at zero.
CREATE OR REPLACE FUNCTION _recon.backfill_create_wallets(
    p_stage bigint, p_check _recon.check_def, p_target jsonb
)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_check.wallet_source);
    v_created bigint;
BEGIN
    EXECUTE format($q$
        INSERT INTO %1$s (%2$I, %3$I%4$s%5$s)
        SELECT s.wallet_key::%6$s, s.finding_key::%7$s%8$s%9$s
        FROM _recon.fix_stage AS s
        CROSS JOIN LATERAL (SELECT jsonb_build_object('owner', s.finding_key,
                                                      'wallet', s.wallet_key) AS j) AS x
        WHERE s.stage_id = $1 AND s.status = 'applied'
        ORDER BY s.step$q$,
        v_ws.relid::regclass, v_ws.key_column, p_target ->> 'owner_column',
        (SELECT string_agg(', ' || quote_ident(b), '') FROM unnest(v_ws.balance_columns) AS b),
        p_target ->> 'columns', p_target ->> 'key_type',
        _recon.column_type_sql(v_ws.relid, p_target ->> 'owner_column'),
        repeat(', 0', cardinality(v_ws.balance_columns)), p_target ->> 'values')
    USING p_stage;
    GET DIAGNOSTICS v_created = ROW_COUNT;
    RETURN v_created;
END;
$body$;

COMMENT ON FUNCTION _recon.backfill_create_wallets(bigint, _recon.check_def, jsonb) IS
'Phase 3 of recon.backfill: inserts the claimed (applied) steps'' new wallets into the wallet '
'table, every balance column at 0 (the opening entries move them), with their owner and '
'wallet_columns. Returns how many were created.';

REVOKE EXECUTE ON FUNCTION _recon.backfill_create_wallets(bigint, _recon.check_def, jsonb)
FROM PUBLIC;
