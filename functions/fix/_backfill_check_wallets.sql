-- _recon.backfill_check_wallets(): the new wallets fit their table, checked before any write.
CREATE OR REPLACE FUNCTION _recon.backfill_check_wallets(
    p_stage bigint, p_check _recon.check_def, p_target jsonb, p_wallet_key text
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_check.wallet_source);
    v_bad text;
BEGIN
    -- every key a value of the key column, none NULL, none twice, none taken; every owner and
    -- wallet_columns value one of its column
    BEGIN
        EXECUTE format($q$
            SELECT string_agg(format('%%s (owner %%s)', COALESCE(quote_literal(y.k), 'NULL'),
                                     y.owner), ', ' ORDER BY y.step)
            FROM (
                SELECT s.step, s.finding_key AS owner, s.wallet_key AS k,
                       count(*) OVER (PARTITION BY s.wallet_key) AS n,
                       jsonb_build_array(s.wallet_key::%3$s, s.finding_key::%4$s%5$s) AS v
                FROM _recon.fix_stage AS s
                CROSS JOIN LATERAL (SELECT jsonb_build_object('owner', s.finding_key,
                                                              'wallet', s.wallet_key) AS j) AS x
                WHERE s.stage_id = $1 AND s.status = 'planned'
            ) AS y
            WHERE y.k IS NULL OR y.n > 1 OR y.v IS NULL
               OR EXISTS (SELECT FROM %1$s AS w WHERE w.%2$I = y.k::%3$s)$q$,
            v_ws.relid::regclass, v_ws.key_column, p_target ->> 'key_type',
            _recon.column_type_sql(v_ws.relid, p_target ->> 'owner_column'),
            p_target ->> 'values')
        INTO v_bad USING p_stage;
    EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
        PERFORM _recon.fail('RC309', 'a new wallet''s key or column does not fit its column',
                            format('%s (SQLSTATE %s).', SQLERRM, SQLSTATE),
                            'Check wallet_key and wallet_columns against the column types of '
                            || v_ws.relid::regclass::text || '.');
    END;
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail('RC309', 'the new wallets'' keys must be distinct, new and not NULL',
                            format('wallet_key %L gives: %s.', p_wallet_key, v_bad),
                            'Use a template that differs per owner, e.g. ''{uuid}'' or '
                            || '''w-{owner}''.');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.backfill_check_wallets(bigint, _recon.check_def, jsonb, text) IS
'Phase 2 of recon.backfill, before anything is written (a dry run too): the staged new wallets '
'(p_stage) have keys of the key column''s type, none NULL, none twice, none taken, and owners '
'and wallet_columns values of their columns'' types; RC309 otherwise, naming them.';

REVOKE EXECUTE ON FUNCTION _recon.backfill_check_wallets(bigint, _recon.check_def, jsonb, text)
FROM PUBLIC;
