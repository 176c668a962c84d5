-- _recon.fix_recheck(): what each check finds now for a staged plan's wallets.
CREATE OR REPLACE FUNCTION _recon.fix_recheck(p_stage bigint, p_stored jsonb)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_check _recon.check_def;
    v_keys text[];
    v_map jsonb;
    v_pre jsonb := '{}'::jsonb;
BEGIN
    -- 2. What each check finds now for those wallets (under the locks when applying): a step
    --    whose finding is gone or has changed since the run is skipped. The same checks run
    --    again after the repair (recon.fix), against this picture.
    -- The plan's checks, and every enabled check of the wallet sources it touches: a
    -- repair that opens a finding anywhere on those wallets is refused (recon.fix).
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c
                   WHERE c.name IN (SELECT s.check_name FROM _recon.fix_stage AS s
                                    WHERE s.stage_id = p_stage AND s.strategy <> 'reversal'
                                      AND s.status IN ('planned', 'covered'))
                      OR (c.enabled AND c.wallet_source IN (
                              SELECT s.wallet_source FROM _recon.fix_stage AS s
                              WHERE s.stage_id = p_stage AND s.status = 'planned'))
                      -- what it posts must not look like a duplicate
                      OR (c.kind = 'duplicate' AND c.enabled AND c.ledger_source IN (
                              SELECT s.ledger_source FROM _recon.fix_stage AS s
                              WHERE s.stage_id = p_stage AND s.status = 'planned'
                                AND s.postings <> '[]'))
                   ORDER BY c.name LOOP
        -- the wallets read, and a plan's wallets missing from their table (an unknown
        -- wallet's finding is re-checked too, and one of entries of no wallet: a NULL key)
        v_keys := ARRAY(SELECT jsonb_object_keys(p_stored -> v_check.wallet_source)
                        UNION
                        SELECT s.wallet_key FROM _recon.fix_stage AS s
                        WHERE s.stage_id = p_stage AND s.wallet_source = v_check.wallet_source
                          AND (s.wallet_key IS NOT NULL OR s.status IN ('planned', 'covered')));
        -- keyed as the run staged them: rows sharing a key numbered #n (an orphan's payment id
        -- on two rows), else a step's finding would never be found again
        v_map := _recon.fix_read(
            format('SELECT jsonb_object_agg(r.finding_key, r.difference) FROM (%s) AS r',
                   _recon.stage_keys_sql(_recon.recheck_sql(v_check))), v_keys);
        v_pre := v_pre || jsonb_build_object(v_check.name, COALESCE(v_map, '{}'));
    END LOOP;
    RETURN v_pre;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_recheck(bigint, jsonb) IS
'Phase 2 of _recon.fix_assess: re-runs, for the wallets read (p_stored, from '
'_recon.fix_read_wallets) and the plan''s wallets missing from their table, the plan''s checks, '
'every enabled check of the wallet sources it touches and every enabled duplicate check of the '
'ledgers it posts to. Returns {check: {finding key: difference}}.';

REVOKE EXECUTE ON FUNCTION _recon.fix_recheck(bigint, jsonb) FROM PUBLIC;
