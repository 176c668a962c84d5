-- _recon.backfill_report(): wallets, missing wallets and drift around a coverage check.
CREATE OR REPLACE FUNCTION _recon.backfill_report(p_coverage _recon.check_def)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_coverage.wallet_source);
    v_check _recon.check_def;
    v_wallets bigint;
    v_missing jsonb;
    v_drift jsonb := '{}'::jsonb;
    v_treasury jsonb := '{}'::jsonb;
    v_row jsonb;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', v_ws.relid::regclass) INTO v_wallets;
    EXECUTE format('SELECT jsonb_build_object(''missing'', count(*), ''missing_amount'', '
                   || 'COALESCE(sum(v.expected), 0)) FROM recon.%I AS v', p_coverage.view_name)
    INTO v_missing;
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c
                   WHERE c.enabled AND (c.kind = 'total'
                                        OR (c.kind = 'balance' AND c.wallet_source = v_ws.name))
                   ORDER BY c.name LOOP
        EXECUTE format('SELECT jsonb_build_object(''findings'', count(*), ''wallets'', '
                       || 'count(DISTINCT v.wallet_key), ''amount'', COALESCE(sum(v.difference), 0)) '
                       || 'FROM recon.%I AS v', v_check.view_name)
        INTO v_row;
        IF v_check.kind = 'total' THEN
            v_treasury := v_treasury || jsonb_build_object(v_check.name, v_row -> 'amount');
        ELSE
            v_drift := v_drift || jsonb_build_object(v_check.name, v_row - 'findings');
        END IF;
    END LOOP;
    RETURN jsonb_build_object('wallets', v_wallets, 'treasury_drift', v_treasury,
                              'balance_drift', v_drift) || v_missing;
END;
$body$;

COMMENT ON FUNCTION _recon.backfill_report(_recon.check_def) IS
'The report recon.backfill() gives before and after (seed 003''s): wallets in the table, '
'owners missing a wallet and their legacy total (the coverage check), the difference of every '
'total check (treasury drift), and per balance check of the wallet source the wallets with '
'drift and its sum.';

REVOKE EXECUTE ON FUNCTION _recon.backfill_report(_recon.check_def) FROM PUBLIC;
