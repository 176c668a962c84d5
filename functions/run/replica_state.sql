-- recon.replica_state(): on the primary, the state an incremental run read on a standby needs.
CREATE OR REPLACE FUNCTION recon.replica_state(target jsonb, keys jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_target _recon.replica_target;
    v_each record;
    v_inc jsonb;
    v_wm _recon.watermark;
    v_keys text[];
    v_out jsonb := '{}'::jsonb;
BEGIN
    IF pg_is_in_recovery() THEN
        PERFORM _recon.fail('RC220', 'this server is a standby, not the primary',
                            'The incremental state is the primary''s (unlogged tables).',
                            'Pass the primary as --database and the standby as --replica.');
    END IF;
    IF jsonb_typeof(replica_state.keys) IS DISTINCT FROM 'object'
       OR COALESCE(replica_state.target ->> 'token', '')
          !~ '^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$' THEN
        PERFORM _recon.fail('RC224', 'not a target and keys of recon.replica_increment_keys()',
                            format('Got %s and %s.', left(COALESCE(target::text, 'NULL'), 100),
                                   left(COALESCE(keys::text, 'NULL'), 100)),
                            'Pass the target and what recon.replica_increment_keys() returned.');
    END IF;
    SELECT t.* INTO v_target FROM _recon.replica_target AS t
    WHERE t.token = (replica_state.target ->> 'token')::uuid AND t.used_at IS NULL
      AND t.expires_at > clock_timestamp();
    IF NOT FOUND THEN
        PERFORM _recon.fail('RC225', 'no such target, or it was used or expired',
                            format('Token %s.', replica_state.target ->> 'token'),
                            'Take a new target: run wallet-recon check --replica again.');
    END IF;
    FOR v_each IN SELECT k.key AS name, k.value FROM jsonb_each(replica_state.keys) AS k
                  WHERE jsonb_typeof(k.value -> 'keys') = 'array' ORDER BY k.key LOOP
        v_inc := v_target.increment -> v_each.name;
        CONTINUE WHEN v_inc IS NULL OR v_inc ? 'why_full';
        SELECT m.* INTO v_wm FROM _recon.watermark AS m WHERE m.check_name = v_each.name;
        IF (v_wm.run_id, v_wm.order_bound, v_wm.snapshot_xmin::text)
           IS DISTINCT FROM ((v_inc ->> 'run_id')::bigint, (v_inc ->> 'order_bound')::numeric,
                             v_inc ->> 'snapshot_xmin')
           OR NOT EXISTS (SELECT FROM _recon.balance_state_mark AS g
                          WHERE g.check_name = v_each.name AND g.run_id = v_wm.run_id) THEN
            v_out := v_out || jsonb_build_object(v_each.name, jsonb_build_object('why_full',
                'the watermark moved, or the per-wallet state was lost, on the primary since '
                || 'the target was taken'));
            CONTINUE;
        END IF;
        v_keys := ARRAY(SELECT jsonb_array_elements_text(v_each.value -> 'keys'));
        v_out := v_out || jsonb_build_object(v_each.name, jsonb_build_object(
            'keys', to_jsonb(v_keys), 'rows', _recon.replica_state_rows(v_each.name, v_keys)));
    END LOOP;
    RETURN v_out;
END;
$body$;

COMMENT ON FUNCTION recon.replica_state(jsonb, jsonb) IS
'On the primary, for an incremental run read on a standby: per balance check of keys (what '
'recon.replica_increment_keys() returned there), the per-wallet state of those wallets '
'({keys, rows}), or why the standby must read the check in full ({why_full}: the watermark the '
'target settled from moved, or the state was lost). The target must be unused and unexpired '
'(RC225). recon.replica_findings() judges the increment from it; recon.record_replica_run() '
'checks again that the state is still the one sent. Errors: RC220, RC224, RC225.';

REVOKE EXECUTE ON FUNCTION recon.replica_state(jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.replica_state(jsonb, jsonb) TO recon_auditor, recon_operator;
