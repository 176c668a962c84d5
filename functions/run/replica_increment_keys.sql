-- recon.replica_increment_keys(): on a standby, the wallets an incremental run re-checks.
CREATE OR REPLACE FUNCTION recon.replica_increment_keys(target jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $body$
DECLARE
    v_check _recon.check_def;
    v_inc jsonb;
    v_reason text;
    v_keys text[];
    v_out jsonb := '{}'::jsonb;
BEGIN
    PERFORM _recon.replica_standby(replica_increment_keys.target);
    IF pg_last_wal_replay_lsn() < (replica_increment_keys.target ->> 'lsn')::pg_lsn THEN
        PERFORM _recon.fail('RC223', 'the replica has not replayed the primary''s position yet',
                            format('Replayed %s, the target is %s.', pg_last_wal_replay_lsn(),
                                   replica_increment_keys.target ->> 'lsn'),
                            'Run SELECT recon.replica_wait(target) first, in its own '
                            || 'transaction, then this in a new one.');
    END IF;
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c
                   WHERE c.kind = 'balance'
                     AND replica_increment_keys.target -> 'increment' ? c.name
                   ORDER BY c.name LOOP
        v_inc := replica_increment_keys.target -> 'increment' -> v_check.name;
        v_reason := _recon.replica_increment_blocker(v_check, v_inc);
        IF v_reason IS NOT NULL THEN
            v_out := v_out || jsonb_build_object(v_check.name,
                                                 jsonb_build_object('why_full', v_reason));
            CONTINUE;
        END IF;
        EXECUTE format('WITH %s SELECT ARRAY(SELECT u.k::text FROM rk CROSS JOIN LATERAL '
                       || 'unnest(rk.ks) AS u (k) WHERE u.k IS NOT NULL ORDER BY 1)',
                       _recon.replica_increment_sql(v_check, v_inc))
        INTO v_keys
        USING ((v_inc ->> 'snapshot_xmin')::numeric % 4294967296)::bigint::text::xid;
        v_out := v_out || jsonb_build_object(v_check.name, jsonb_build_object('keys', v_keys));
    END LOOP;
    RETURN v_out;
END;
$body$;

COMMENT ON FUNCTION recon.replica_increment_keys(jsonb) IS
'On a hot standby, in the read-only REPEATABLE READ transaction that then calls '
'recon.replica_findings(target, checks, ''incremental''): per balance check the target '
'(recon.replica_increment_target) settled an increment for, the wallet keys the run re-checks '
'({keys}: entries since the watermark, wallet rows written since, open findings), or why it '
'reads the check in full ({why_full}). recon.replica_state() on the primary returns their '
'state. Errors: RC220-RC224.';

REVOKE EXECUTE ON FUNCTION recon.replica_increment_keys(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.replica_increment_keys(jsonb) TO recon_auditor, recon_operator;
