-- recon.record_replica_run(): record on the primary a run whose read work a standby did.
CREATE OR REPLACE FUNCTION recon.record_replica_run(result jsonb)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_target jsonb := result -> 'target';
    v_checks text[];
    v_names text[];
    v_changed text;
    v_run bigint;
    v_summary jsonb;
    v_claimed _recon.replica_target;
    v_kept jsonb;
BEGIN
    IF pg_is_in_recovery() THEN
        PERFORM _recon.fail('RC220', 'this server is a standby, not the primary',
                            'A run read on a standby is recorded on the primary.',
                            'Pass the primary as --database and the standby as --replica.');
    END IF;
    IF jsonb_typeof(result) IS DISTINCT FROM 'object'
       OR jsonb_typeof(result -> 'findings') IS DISTINCT FROM 'array'
       OR jsonb_typeof(result -> 'runs') IS DISTINCT FROM 'object'
       OR jsonb_typeof(result -> 'names') IS DISTINCT FROM 'array'
       OR jsonb_typeof(result -> 'compiled') IS DISTINCT FROM 'object'
       OR jsonb_typeof(result -> 'checks') NOT IN ('array', 'null')
       OR jsonb_typeof(v_target) IS DISTINCT FROM 'object'
       OR COALESCE(v_target ->> 'token', '') !~ '^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$'
       OR COALESCE(v_target ->> 'lsn', '') !~ '^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$'
       OR COALESCE(result ->> 'replayed_lsn', '') !~ '^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$' THEN
        PERFORM _recon.fail('RC224', 'not a result of recon.replica_findings()',
                            format('Got %s.', left(COALESCE(result::text, 'NULL'), 200)),
                            'Pass what recon.replica_findings() returned on the standby.');
    END IF;
    -- Read on a standby of this very primary, at this toolkit version, at or after the
    -- position the run started from.
    IF v_target ->> 'system_identifier'
       IS DISTINCT FROM (SELECT c.system_identifier::text FROM pg_control_system() AS c) THEN
        PERFORM _recon.fail('RC221', 'the result was read on a standby of another primary',
                            format('Its system identifier is %s, this server''s %s.',
                                   v_target ->> 'system_identifier',
                                   (SELECT c.system_identifier FROM pg_control_system() AS c)),
                            'Record a run on the primary of the standby that read it.');
    END IF;
    IF v_target ->> 'version' IS DISTINCT FROM recon.version() THEN
        PERFORM _recon.fail('RC222', 'the result was read at another wallet-recon version',
                            format('It was read at %s, this server has %s.',
                                   v_target ->> 'version', recon.version()),
                            'Run the check again.');
    END IF;
    IF (result ->> 'replayed_lsn')::pg_lsn < (v_target ->> 'lsn')::pg_lsn
       OR (v_target ->> 'lsn')::pg_lsn > pg_current_wal_lsn() THEN
        PERFORM _recon.fail('RC223', 'the result was read before the standby reached the target',
                            format('Read at %s, the target is %s.', result ->> 'replayed_lsn',
                                   v_target ->> 'lsn'),
                            'Run SELECT recon.replica_wait(target) on the standby first.');
    END IF;
    -- The same checks, compiled the same, as here now: else the findings are not those of a
    -- run of these checks on the primary.
    v_checks := CASE WHEN jsonb_typeof(result -> 'checks') = 'array'
                     THEN ARRAY(SELECT jsonb_array_elements_text(result -> 'checks')) END;
    v_names := _recon.run_checks(v_checks, result ->> 'mode');
    SELECT string_agg(c.name, ', ' ORDER BY c.name) INTO v_changed
    FROM _recon.check_def AS c
    WHERE c.name = ANY (v_names)
      AND md5(c.compiled_sql) IS DISTINCT FROM result -> 'compiled' ->> c.name;
    IF to_jsonb(v_names) <> result -> 'names' OR v_changed IS NOT NULL THEN
        PERFORM _recon.fail('RC224', 'the checks changed after the standby read them',
                            format('Read: %s; now: %s; changed: %s.', result -> 'names',
                                   to_jsonb(v_names), COALESCE(v_changed, 'none')),
                            'Run the check again (nothing was recorded).');
    END IF;

    -- The target: handed out by this primary to this caller, unused, unexpired, and the very
    -- one the result names (_recon.replica_claim); used from now on, in this transaction.
    v_claimed := _recon.replica_claim(v_target);
    -- The run's normal locking: one reconcile at a time (recon.reconcile takes it again).
    PERFORM pg_advisory_xact_lock(hashtextextended('wallet-recon reconcile', 0));
    -- History does not step back: a run of any of these checks recorded since the target was
    -- taken may have read a newer state than the standby did.
    SELECT format('run %s (checks %s) finished at %s', r.id, r.checks, r.finished_at)
    INTO v_changed
    FROM _recon.run AS r
    WHERE r.status IN ('synced', 'discrepancy') AND r.finished_at >= v_claimed.taken_at
      AND r.checks && v_names
    ORDER BY r.finished_at DESC LIMIT 1;
    IF v_changed IS NOT NULL THEN
        PERFORM _recon.fail('RC226', 'a newer run of these checks is recorded already',
                            format('The target was taken at %s; %s: its findings may be newer '
                                   || 'than the standby''s. Nothing was recorded.',
                                   v_claimed.taken_at, v_changed),
                            'Run the check again (a new target), and schedule one path (the '
                            || 'primary or the standby), not both at once.');
    END IF;

    -- The run as recon.start_run() records it, its findings staged as a run on the primary
    -- stages them, and how each check ran; recon.reconcile() does the rest exactly as for a
    -- run of its own (acknowledgements, causes, severity, open issues, summary, alert).
    v_run := recon.start_run(v_checks, result ->> 'mode');
    UPDATE _recon.run AS r
    SET summary = jsonb_build_object('replica', jsonb_build_object(
        'runs', result -> 'runs',
        'target_lsn', v_target ->> 'lsn',
        'replayed_lsn', result ->> 'replayed_lsn',
        'waited_ms', result -> 'waited_ms',
        'read_ms', result -> 'read_ms'))
    WHERE r.id = v_run;
    INSERT INTO _recon.run_stage
        (run_id, check_name, finding_key, wallet_key, stored, expected, difference, details,
         cause, currency)
    SELECT v_run, f.check_name, f.finding_key, f.wallet_key, f.stored, f.expected,
           f.difference, f.details, f.cause, f.currency
    FROM jsonb_to_recordset(result -> 'findings') AS f (
        check_name text, finding_key text, wallet_key text, stored numeric, expected numeric,
        difference numeric, details jsonb, cause text, currency text)
    WHERE f.check_name = ANY (v_names);
    -- The increments it ran: still valid here, now (else RC227), and the state moved on.
    PERFORM _recon.replica_increment_apply(v_claimed, result, v_run);
    -- A finding open here that the result no longer holds is resolved only if the primary no
    -- longer finds it either (a result is data its caller passes).
    v_kept := _recon.replica_recheck(v_run, v_names);
    UPDATE _recon.run AS r
    SET summary = jsonb_set(r.summary, '{replica,kept_open}', v_kept)
    WHERE r.id = v_run AND v_kept <> '[]'::jsonb;
    v_summary := recon.reconcile(v_checks, result ->> 'mode');
    IF (v_summary ->> 'run_id')::bigint IS DISTINCT FROM v_run THEN
        PERFORM _recon.fail('RC224', 'the replica''s run was not the one recorded',
                            format('Started run %s, recorded run %s.', v_run,
                                   v_summary ->> 'run_id'),
                            'Run the check again.');
    END IF;
    UPDATE _recon.replica_target AS t SET run_id = v_run WHERE t.token = v_claimed.token;
    RETURN v_summary;
END;
$body$;

COMMENT ON FUNCTION recon.record_replica_run(jsonb) IS
'On the primary: records a run whose read work a hot standby did (result: what '
'recon.replica_findings() returned there), exactly as recon.reconcile() records its own: the '
'run, findings, observations, alerts and summary, which also says where it was read '
'(summary.replica: target_lsn, replayed_lsn, read_ms, waited_ms). The result is data its '
'caller passes: its target must be one recon.replica_target() recorded here, taken by the same '
'role, unused and unexpired (it is used from then on: a replay, or the second of two '
'concurrent submits, is refused, RC225); a run of the same checks recorded since the target '
'was taken refuses it (RC226: history does not step back); and a finding open here that the '
'result no longer holds is resolved only if the primary, re-checking it now, no longer finds '
'it either (else it stays open: summary.replica.kept_open). Refuses, recording nothing, a '
'result read on a standby of another primary (RC221), at another toolkit version (RC222), '
'before the target was replayed (RC223), or of checks that changed since (RC224). A check the '
'result ran incrementally advances the state only if the increment its target settled still '
'holds here (else RC227, nothing recorded: read it in full). SECURITY '
'DEFINER: recon_operator only.';

REVOKE EXECUTE ON FUNCTION recon.record_replica_run(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.record_replica_run(jsonb) TO recon_operator;
