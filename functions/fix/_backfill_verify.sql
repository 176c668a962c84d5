-- _recon.backfill_verify(): the new wallets balance with their ledgers, or nothing is applied.
CREATE OR REPLACE FUNCTION _recon.backfill_verify(p_stage bigint, p_wallet_source text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_balance _recon.check_def;
    v_found text;
    v_bad text;
BEGIN
    FOR v_balance IN SELECT c.* FROM _recon.check_def AS c
                     WHERE c.kind = 'balance' AND c.enabled AND c.wallet_source = p_wallet_source
                     ORDER BY c.name LOOP
        EXECUTE format('SELECT string_agg(r.check_name || '' '' || r.finding_key, ''; '') '
                       || 'FROM (%s) AS r', _recon.recheck_sql(v_balance))
        INTO v_found USING ARRAY(SELECT s.wallet_key FROM _recon.fix_stage AS s
                                 WHERE s.stage_id = p_stage AND s.status = 'applied');
        v_bad := NULLIF(concat_ws('; ', v_bad, v_found), '');
    END LOOP;
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail('RC307', 'the backfill did not verify; nothing was applied',
                            v_bad, 'Check the writer (recon.register_writer) and try again.');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.backfill_verify(bigint, text) IS
'Phase 3 of recon.backfill, after the opening entries were posted: every enabled balance check '
'of the wallet source is run again for the new wallets; a finding fails the call (RC307) and '
'so applies nothing.';

REVOKE EXECUTE ON FUNCTION _recon.backfill_verify(bigint, text) FROM PUBLIC;
