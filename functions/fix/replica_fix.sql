-- recon.replica_fix(): recon.fix()'s dry-run plan made on the primary from a standby's reads.
CREATE OR REPLACE FUNCTION recon.replica_fix(
    target jsonb,
    reads jsonb DEFAULT '{}',
    run_id bigint DEFAULT NULL,
    checks text[] DEFAULT NULL,
    wallets text[] DEFAULT NULL,
    force_strategy text DEFAULT NULL,
    wallet_limit numeric DEFAULT NULL,
    run_limit numeric DEFAULT NULL,
    findings bigint[] DEFAULT NULL,
    wallet_limits jsonb DEFAULT NULL,
    run_limits jsonb DEFAULT NULL
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_target _recon.replica_target;
    v_role name := CASE WHEN current_setting('role') = 'none' THEN session_user
                        ELSE current_setting('role')::name END;
    v_steps jsonb;
    v_detail text;
    v_read jsonb;
BEGIN
    IF jsonb_typeof(replica_fix.reads) IS DISTINCT FROM 'object' THEN
        PERFORM _recon.fail('RC224', 'reads must be a JSON object',
                            format('Got %s.', left(COALESCE(replica_fix.reads::text, 'NULL'), 200)),
                            'Pass {} first, then what recon.replica_fix_read() returned on the '
                            || 'standby, merged.');
    END IF;
    -- The target this primary handed out to this role, not expired: its secret signs each read
    -- asked of the standby. Nothing is recorded and the target is not used up: a plan is shown,
    -- never applied from these reads (recon.fix() applies on the primary, reading it there).
    SELECT t.* INTO v_target FROM _recon.replica_target AS t
    WHERE t.token::text = replica_fix.target ->> 'token';
    IF v_target.token IS NULL OR v_target.taken_by IS DISTINCT FROM v_role
       OR v_target.expires_at < clock_timestamp() THEN
        PERFORM _recon.fail('RC225', 'not a usable target for a fix plan',
                            CASE WHEN v_target.token IS NULL
                                 THEN 'This primary handed out no such target.'
                                 WHEN v_target.taken_by IS DISTINCT FROM v_role
                                 THEN format('It was taken by %s.', v_target.taken_by)
                                 ELSE format('It expired at %s.', v_target.expires_at) END,
                            'Take a new one: run wallet-recon fix --replica again.');
    END IF;
    -- The plan, exactly as recon.fix() makes a dry run, each of its reads of the money tables
    -- (_recon.fix_read) taken from reads (held in _recon.fix_read_memo for this transaction,
    -- which no caller can write); the first it lacks stops it (RC229, the stage rolled back)
    -- and is returned, signed, for the standby to read.
    INSERT INTO _recon.fix_read_memo (txid, read_key, read_value)
    SELECT pg_current_xact_id(), '', NULL
    UNION ALL
    SELECT pg_current_xact_id(), r.key, r.value FROM jsonb_each(replica_fix.reads) AS r
    WHERE r.key <> '';
    BEGIN
        SELECT COALESCE(jsonb_agg(to_jsonb(f) ORDER BY f.step), '[]') INTO v_steps
        FROM recon.fix(run_id => replica_fix.run_id, dry_run => TRUE,
                       checks => replica_fix.checks, wallets => replica_fix.wallets,
                       force_strategy => replica_fix.force_strategy,
                       wallet_limit => replica_fix.wallet_limit,
                       run_limit => replica_fix.run_limit, findings => replica_fix.findings,
                       wallet_limits => replica_fix.wallet_limits,
                       run_limits => replica_fix.run_limits) AS f;
    EXCEPTION WHEN SQLSTATE 'RC229' THEN
        GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
        v_read := v_detail::jsonb;
    END;
    DELETE FROM _recon.fix_read_memo AS m WHERE m.txid = pg_current_xact_id();
    IF v_read IS NOT NULL THEN
        RETURN jsonb_build_object('read', v_read || jsonb_build_object(
            'sig', _recon.fix_read_sign(v_target.read_secret, v_read ->> 'key')));
    END IF;
    RETURN jsonb_build_object('steps', v_steps,
                              'reads', (SELECT count(*) FROM jsonb_object_keys(replica_fix.reads)));
END;
$body$;

COMMENT ON FUNCTION recon.replica_fix(
    jsonb, jsonb, bigint, text[], text[], text, numeric, numeric, bigint[], jsonb, jsonb
) IS
'On the primary: recon.fix()''s dry-run plan (same parameters) made from a standby''s reads '
'(docs/SCALING.md, "Fix plans on a standby"; wallet-recon fix --replica). target is what '
'recon.replica_target() returned to this role (RC225 otherwise); reads, {key: value}, what '
'recon.replica_fix_read() returned on the standby so far. Returns {"steps": [recon.fix_step as '
'JSON]} when every read of the money tables the planner makes was served from reads, else '
'{"read": {...}}: the next read to ask the standby for, signed with the target''s secret. '
'Writes nothing that stays; applying is recon.fix() on the primary, which reads and '
're-verifies there. Errors: those of recon.fix(), RC224 reads not an object, RC225 target.';

REVOKE EXECUTE ON FUNCTION recon.replica_fix(
    jsonb, jsonb, bigint, text[], text[], text, numeric, numeric, bigint[], jsonb, jsonb
) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.replica_fix(
    jsonb, jsonb, bigint, text[], text[], text, numeric, numeric, bigint[], jsonb, jsonb
) TO recon_operator;
