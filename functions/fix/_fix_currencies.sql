-- _recon.fix_currencies(): each step's currency.
CREATE OR REPLACE FUNCTION _recon.fix_currencies(p_stage bigint, p_stored jsonb)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source;
    v_map jsonb;
    v_currency jsonb := '{}'::jsonb;
BEGIN
    FOR v_ws IN SELECT w.* FROM _recon.wallet_source AS w
                WHERE w.name IN (SELECT s.wallet_source FROM _recon.fix_stage AS s
                                 WHERE s.stage_id = p_stage)
                  AND w.currency_column IS NOT NULL
                ORDER BY w.name LOOP
        v_map := _recon.fix_measure(v_ws.name,
                                    ARRAY(SELECT jsonb_object_keys(p_stored -> v_ws.name)), '{}');
        v_currency := v_currency || jsonb_build_object(v_ws.name, COALESCE((
            SELECT jsonb_object_agg(m.key, m.value -> 'currency') FROM jsonb_each(v_map) AS m),
            '{}'));
    END LOOP;
    UPDATE _recon.fix_stage AS s
    SET currency = COALESCE(v_currency -> s.wallet_source ->> s.wallet_key, f.currency,
                            c.currency)
    FROM _recon.fix_stage AS s0
    LEFT JOIN _recon.check_def AS c ON c.name = s0.check_name
    LEFT JOIN _recon.finding AS f ON f.id = s0.finding_id
    WHERE s.stage_id = p_stage AND s0.stage_id = p_stage AND s0.step = s.step;
    RETURN v_currency;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_currencies(bigint, jsonb) IS
'Phase 4 of _recon.fix_assess: sets each step''s currency: its wallet''s currency column (read '
'for the wallets in p_stored), else its finding''s, else its check''s. Returns {wallet source: '
'{wallet key: currency}} for the sources with a currency column.';

REVOKE EXECUTE ON FUNCTION _recon.fix_currencies(bigint, jsonb) FROM PUBLIC;
