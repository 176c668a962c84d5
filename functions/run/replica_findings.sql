-- recon.replica_findings(): a run's read work on a hot standby; nothing written anywhere.
CREATE OR REPLACE FUNCTION recon.replica_findings(
    target jsonb, checks text[] DEFAULT NULL, mode text DEFAULT 'full'
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- as recon.reconcile(): JIT costs more than it saves on a check's expressions
SET jit = off
AS $body$
DECLARE
    v_started timestamptz := clock_timestamp();
    v_names text[];
    v_check _recon.check_def;
    v_findings jsonb := '[]'::jsonb;
    v_runs jsonb := '{}'::jsonb;
    v_compiled jsonb := '{}'::jsonb;
    v_replayed pg_lsn;
    v_part jsonb;
    v_increments jsonb := '{}'::jsonb;
BEGIN
    PERFORM _recon.replica_standby(replica_findings.target);
    v_names := _recon.run_checks(replica_findings.checks, replica_findings.mode);
    -- recon.replica_wait() ran before this transaction began: its snapshot holds every
    -- transaction the primary had committed at the target.
    v_replayed := pg_last_wal_replay_lsn();
    IF v_replayed < (replica_findings.target ->> 'lsn')::pg_lsn THEN
        PERFORM _recon.fail('RC223', 'the replica has not replayed the primary''s position yet',
                            format('Replayed %s, the target is %s.', v_replayed,
                                   replica_findings.target ->> 'lsn'),
                            'Run SELECT recon.replica_wait(target) first, in its own '
                            || 'transaction, then this in a new one.');
    END IF;
    PERFORM _recon.wallet_keys_repeated(v_names);  -- RC203: a key on two wallet rows
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c WHERE c.name = ANY (v_names)
                   ORDER BY c.name LOOP
        v_compiled := v_compiled || jsonb_build_object(v_check.name, md5(v_check.compiled_sql));
        -- Incrementally, a balance check is judged from the increment the target settled on
        -- the primary and the state the primary sent for the wallets to re-check
        -- (_recon.replica_increment_rows); the primary advances the state when it records the
        -- run, if it can still show the increment holds. Otherwise (no increment settled, state
        -- missing or moved, a wallet deleted...) the check is read in full here, and says why.
        v_part := NULL;
        IF replica_findings.mode = 'incremental' AND v_check.kind = 'balance' THEN
            v_part := _recon.replica_increment_rows(
                v_check, replica_findings.target -> 'increment' -> v_check.name,
                replica_findings.target -> 'states' -> v_check.name);
        END IF;
        IF v_part ? 'findings' THEN
            v_findings := v_findings || (v_part -> 'findings');
            v_increments := v_increments || jsonb_build_object(v_check.name, v_part - 'findings');
            v_runs := v_runs || jsonb_build_object(v_check.name,
                                                   jsonb_build_object('mode', 'incremental'));
            CONTINUE;
        END IF;
        v_findings := v_findings || _recon.replica_rows(v_check);
        v_runs := v_runs || jsonb_build_object(v_check.name, jsonb_strip_nulls(jsonb_build_object(
            'mode', 'full',
            'why_full', CASE WHEN replica_findings.mode = 'incremental' THEN
                CASE WHEN v_check.kind <> 'balance' THEN 'only balance checks run incrementally'
                     ELSE v_part ->> 'why_full' END END)));
    END LOOP;
    RETURN jsonb_build_object(
        'target', replica_findings.target - 'states',
        'checks', to_jsonb(replica_findings.checks),
        'mode', replica_findings.mode,
        'names', to_jsonb(v_names),
        'compiled', v_compiled,
        'replayed_lsn', v_replayed::text,
        'runs', v_runs,
        'increments', v_increments,
        'read_ms', round(extract(EPOCH FROM clock_timestamp() - v_started) * 1000, 1),
        'findings', v_findings);
END;
$body$;

COMMENT ON FUNCTION recon.replica_findings(jsonb, text[], text) IS
'On a hot standby, in a read-only transaction begun after recon.replica_wait(target) returned: '
'the read work of recon.reconcile(checks, mode) (every enabled check, or the named ones), the '
'findings as the run stages them, as jsonb; nothing is written. recon.record_replica_run() on '
'the primary records it. In incremental mode a balance check is judged from the increment its '
'target settled (recon.replica_increment_target: target.increment) and the state the primary '
'sent (recon.replica_state: target.states), as a run on the primary judges it; otherwise, and '
'for every other check, it is read in full (runs.why_full says why in incremental mode). '
'Errors: RC201, RC202, RC220-RC224 (docs/SQLSTATES.md).';

REVOKE EXECUTE ON FUNCTION recon.replica_findings(jsonb, text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.replica_findings(jsonb, text[], text) TO recon_auditor,
recon_operator;
