-- recon.replica_increment_target(): the start of an incremental run read on a standby (primary).
CREATE OR REPLACE FUNCTION recon.replica_increment_target(
    checks text[] DEFAULT NULL, valid_for interval DEFAULT '1 hour'
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_check _recon.check_def;
    v_inc jsonb := '{}'::jsonb;
    v_settled boolean;
    v_xmin xid8;
    v_target jsonb;
BEGIN
    IF pg_is_in_recovery() THEN
        PERFORM _recon.fail('RC220', 'this server is a standby, not the primary',
                            'A run read on a standby starts and is recorded on the primary: '
                            || '--database must name the primary.',
                            'Pass the primary as --database and the standby as --replica.');
    END IF;
    -- Each balance check's new bound, settled as a run on the primary settles it
    -- (_recon.balance_increment, step 1): the highest id now, published, then every
    -- transaction open now waited for (at most 1 s, else each bound stays where it was: the
    -- entries above it are summed on the fly) ...
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c
                   WHERE c.name = ANY (_recon.run_checks(replica_increment_target.checks,
                                                         'incremental'))
                     AND c.kind = 'balance'
                   ORDER BY c.name LOOP
        v_inc := v_inc || jsonb_build_object(v_check.name,
                                             _recon.replica_increment_settle(v_check));
    END LOOP;
    v_settled := _recon.wait_for_transactions(interval '1 second');
    -- ... and where the next run looks for written wallet rows: every transaction below it had
    -- ended before the position is taken, so the standby holds all it wrote.
    v_xmin := pg_snapshot_xmin(pg_current_snapshot());
    SELECT COALESCE(jsonb_object_agg(i.key, CASE WHEN i.value ? 'why_full' THEN i.value
        ELSE i.value || jsonb_build_object(
            'new_bound', CASE WHEN v_settled THEN i.value -> 'new_bound'
                              ELSE i.value -> 'order_bound' END,
            'next_xmin', v_xmin::text) END), '{}'::jsonb)
    INTO v_inc FROM jsonb_each(v_inc) AS i;
    -- ... all of it before the position: the standby, once it has replayed it, holds every
    -- entry at or below each new bound.
    v_target := recon.replica_target(replica_increment_target.valid_for);
    UPDATE _recon.replica_target AS t SET increment = v_inc
    WHERE t.token = (v_target ->> 'token')::uuid;
    RETURN v_target || jsonb_build_object('increment', v_inc);
END;
$body$;

COMMENT ON FUNCTION recon.replica_increment_target(text[], interval) IS
'On the primary: recon.replica_target(valid_for) for an incremental run read on a standby '
'(docs/SCALING.md, "Checks on a standby"). Before the position is taken it settles, per '
'balance check among checks (every enabled one by default), the increment: the watermark it '
'starts from and the new bound, as a run on the primary does (highest ordering id, published, '
'the transactions open then waited for), or why the check must run in full (increment.why_full). '
'Recorded with the target: recon.record_replica_run() advances the state from this, not from '
'the result. Errors: RC220 on a standby, RC201, RC202, RC225.';

REVOKE EXECUTE ON FUNCTION recon.replica_increment_target(text[], interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.replica_increment_target(text[], interval) TO recon_auditor,
recon_operator;
