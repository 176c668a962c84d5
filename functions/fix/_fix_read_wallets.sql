-- _recon.fix_read_wallets(): read (or lock) every wallet a staged plan touches.
CREATE OR REPLACE FUNCTION _recon.fix_read_wallets(p_stage bigint, p_lock boolean)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source;
    v_keys text[];
    v_map jsonb;
    v_cols text;
    v_stored jsonb := '{}'::jsonb;
BEGIN
    -- 1. Every wallet the plan touches, and the offset wallets its writers post against: read,
    --    or locked FOR UPDATE, source by source in name order and by key within a source, so
    --    that two repairs (or a repair and a writer that locks in key order) never deadlock.
    FOR v_ws IN SELECT w.* FROM _recon.wallet_source AS w
                WHERE w.name IN (SELECT s.wallet_source FROM _recon.fix_stage AS s
                                 WHERE s.stage_id = p_stage)
                ORDER BY w.name LOOP
        v_keys := ARRAY(
            SELECT s.wallet_key FROM _recon.fix_stage AS s
            WHERE s.stage_id = p_stage AND s.wallet_source = v_ws.name
              AND s.wallet_key IS NOT NULL AND s.status IN ('planned', 'covered')
            UNION
            SELECT wr.offset_wallet FROM _recon.fix_stage AS s
            JOIN _recon.writer AS wr ON wr.ledger_source = s.ledger_source
            WHERE s.stage_id = p_stage AND s.wallet_source = v_ws.name
              AND s.status = 'planned' AND wr.offset_wallet IS NOT NULL
            UNION  -- a reversal's own offset wallet
            SELECT e.value ->> 'offset_wallet' FROM _recon.fix_stage AS s,
                   jsonb_array_elements(s.postings) AS e
            WHERE s.stage_id = p_stage AND s.wallet_source = v_ws.name
              AND s.status = 'planned' AND e.value ->> 'offset_wallet' IS NOT NULL);
        v_cols := _recon.stored_balances_sql(v_ws, v_ws.balance_columns);  -- major units
        v_map := _recon.fix_read(format(
            'SELECT jsonb_object_agg(x.k, x.v) FROM (SELECT w.%1$I::text AS k, '
            || '%2$s AS v FROM %3$s AS w WHERE w.%1$I = ANY ($1::%4$s[]) '
            || 'ORDER BY w.%1$I %5$s) AS x',
            v_ws.key_column, v_cols, v_ws.relid::regclass,
            _recon.column_type(v_ws.relid, v_ws.key_column),
            CASE WHEN p_lock THEN 'FOR UPDATE' ELSE '' END), v_keys);
        v_stored := v_stored || jsonb_build_object(v_ws.name, COALESCE(v_map, '{}'));
    END LOOP;
    UPDATE _recon.fix_stage AS s
    SET stored_before = v_stored -> s.wallet_source -> s.wallet_key
    WHERE s.stage_id = p_stage AND s.wallet_key IS NOT NULL;
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', note = 'wallet not found in its table'
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered') AND s.wallet_key IS NOT NULL
      AND s.stored_before IS NULL AND s.strategy <> 'acknowledge';
    RETURN v_stored;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_read_wallets(bigint, boolean) IS
'Phase 1 of _recon.fix_assess: reads every wallet the staged plan p_stage touches, and the '
'offset wallets its writers and reversals post against (p_lock: FOR UPDATE), source by source '
'in name order and by key within a source, so that two repairs never deadlock; fills each '
'step''s stored_before and skips a step whose wallet is not in its table. Returns {wallet '
'source: {wallet key: {column: stored balance, in major units}}}.';

REVOKE EXECUTE ON FUNCTION _recon.fix_read_wallets(bigint, boolean) FROM PUBLIC;
