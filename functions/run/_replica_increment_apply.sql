-- _recon.replica_increment_apply(): on the primary, the increments a standby's result ran.
CREATE OR REPLACE FUNCTION _recon.replica_increment_apply(
    p_target _recon.replica_target, p_result jsonb, p_run bigint
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_each record;
    v_check _recon.check_def;
    v_inc jsonb;
    v_wm _recon.watermark;
    v_add jsonb;
    v_reason text;
BEGIN
    FOR v_each IN SELECT r.key AS name FROM jsonb_each(p_result -> 'runs') AS r
                  WHERE r.value ->> 'mode' = 'incremental' ORDER BY r.key LOOP
        SELECT c.* INTO v_check FROM _recon.check_def AS c WHERE c.name = v_each.name;
        v_inc := p_target.increment -> v_each.name;
        v_add := p_result -> 'increments' -> v_each.name;
        IF v_check.kind IS DISTINCT FROM 'balance' OR v_inc IS NULL OR v_inc ? 'why_full'
           OR jsonb_typeof(v_add -> 'old_rows') IS DISTINCT FROM 'number'
           OR jsonb_typeof(v_add -> 'written') IS DISTINCT FROM 'number'
           OR jsonb_typeof(v_add -> 'new_keys') IS DISTINCT FROM 'array' THEN
            PERFORM _recon.fail('RC224', 'not a result of recon.replica_findings()',
                                format('It ran %s incrementally, for which its target settled '
                                       || '%s, with %s.', v_each.name,
                                       COALESCE(v_inc::text, 'no increment'),
                                       COALESCE(v_add::text, 'no wallet pass')),
                                'Pass what recon.replica_findings() returned on the standby.');
        END IF;
        -- Under the reconcile lock: the state the standby judged from (recon.replica_state) is
        -- still this one (the watermark of the target, its mark), and nothing a run on the
        -- primary would make it full for happened since (_recon.incremental_blocker, read now:
        -- it also covers every update, delete or back-dated insert of an entry up to now, a
        -- superset of what the standby's snapshot held).
        SELECT m.* INTO v_wm FROM _recon.watermark AS m WHERE m.check_name = v_each.name;
        IF (v_wm.run_id, v_wm.order_bound, v_wm.snapshot_xmin::text)
           IS DISTINCT FROM ((v_inc ->> 'run_id')::bigint, (v_inc ->> 'order_bound')::numeric,
                             v_inc ->> 'snapshot_xmin') THEN
            v_reason := 'the watermark moved on the primary since the target was taken';
        ELSE
            v_reason := _recon.incremental_blocker(v_check);
        END IF;
        IF v_reason IS NOT NULL THEN
            PERFORM _recon.fail('RC227', format('the increment of %s read on the standby cannot '
                                                || 'be shown to hold any more', v_each.name),
                                v_reason,
                                'Nothing was recorded. Run the check again: wallet-recon check '
                                || '--replica reads it in full on the standby then.');
        END IF;
        IF v_wm.wallet_rows IS DISTINCT FROM (v_add ->> 'old_rows')::bigint
            + (v_add ->> 'written')::bigint - jsonb_array_length(v_add -> 'new_keys') THEN
            PERFORM _recon.fail('RC224', 'not a result of recon.replica_findings()',
                                format('Its wallet pass of %s (%s) does not add up to the '
                                       || 'watermark''s %s wallet rows.', v_each.name, v_add,
                                       v_wm.wallet_rows),
                                'Pass what recon.replica_findings() returned on the standby.');
        END IF;
        PERFORM _recon.replica_state_advance(
            v_check, p_run, v_inc, ARRAY(SELECT jsonb_array_elements_text(v_add -> 'new_keys')),
            (v_add ->> 'old_rows')::bigint + (v_add ->> 'written')::bigint);
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.replica_increment_apply(_recon.replica_target, jsonb, bigint) IS
'For recon.record_replica_run, under the reconcile lock: every balance check the standby''s '
'result p_result ran incrementally must have an increment its target p_target recorded '
'(recon.replica_increment_target) and a wallet pass that adds up (else RC224); the watermark '
'must be the target''s and _recon.incremental_blocker must find nothing now (else RC227: '
'nothing is recorded, the caller reads the check in full); then the state and watermark move '
'on to run p_run (_recon.replica_state_advance).';

REVOKE EXECUTE ON FUNCTION _recon.replica_increment_apply(_recon.replica_target, jsonb, bigint)
FROM PUBLIC;
