-- recon.replica_fix_read(): on a hot standby, one read of a fix plan the primary asked for.
CREATE OR REPLACE FUNCTION recon.replica_fix_read(target jsonb, request jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $body$
DECLARE
    v_replayed pg_lsn;
    v_secret text;
    v_expires timestamptz;
    v_1 text[];
    v_2 text[];
    v_key text;
    v_value jsonb;
BEGIN
    PERFORM _recon.replica_standby(replica_fix_read.target);
    -- recon.replica_wait() ran before this transaction began: its snapshot holds every
    -- transaction the primary had committed at the target (and the target itself).
    v_replayed := pg_last_wal_replay_lsn();
    SELECT t.read_secret, t.expires_at INTO v_secret, v_expires
    FROM _recon.replica_target AS t WHERE t.token::text = replica_fix_read.target ->> 'token';
    IF v_replayed < (replica_fix_read.target ->> 'lsn')::pg_lsn OR v_secret IS NULL THEN
        PERFORM _recon.fail('RC223', 'the replica has not replayed the primary''s position yet',
                            format('Replayed %s, the target is %s%s.', v_replayed,
                                   replica_fix_read.target ->> 'lsn',
                                   CASE WHEN v_secret IS NULL
                                        THEN ' (its target is not here yet)' ELSE '' END),
                            'Run SELECT recon.replica_wait(target) first, in its own '
                            || 'transaction, then this in a new one.');
    END IF;
    IF v_expires < clock_timestamp() THEN
        PERFORM _recon.fail('RC225', 'the target expired',
                            format('It expired at %s.', v_expires),
                            'Take a new one: run wallet-recon fix --replica again.');
    END IF;
    -- Only a query the primary signed for this target runs here (it runs as the toolkit's
    -- owner): the key covers the query and its parameters.
    IF jsonb_typeof(replica_fix_read.request) IS DISTINCT FROM 'object'
       OR jsonb_typeof(replica_fix_read.request -> 'sql') IS DISTINCT FROM 'string' THEN
        PERFORM _recon.fail('RC224', 'not a read asked by recon.replica_fix()',
                            format('Got %s.', left(COALESCE(replica_fix_read.request::text,
                                                            'NULL'), 200)),
                            'Pass the "read" recon.replica_fix() returned on the primary.');
    END IF;
    v_1 := CASE WHEN jsonb_typeof(replica_fix_read.request -> 'p_1') = 'array' THEN
                ARRAY(SELECT jsonb_array_elements_text(replica_fix_read.request -> 'p_1')) END;
    v_2 := CASE WHEN jsonb_typeof(replica_fix_read.request -> 'p_2') = 'array' THEN
                ARRAY(SELECT jsonb_array_elements_text(replica_fix_read.request -> 'p_2')) END;
    v_key := _recon.fix_read_key(replica_fix_read.request ->> 'sql', v_1, v_2,
                                 NULLIF(replica_fix_read.request -> 'p_3', 'null'));
    IF _recon.fix_read_sign(v_secret, v_key)
       IS DISTINCT FROM replica_fix_read.request ->> 'sig' THEN
        PERFORM _recon.fail('RC224', 'a read the primary did not sign',
                            'Its query or parameters differ from what recon.replica_fix() '
                            || 'asked for this target.',
                            'Pass the "read" recon.replica_fix() returned, unchanged.');
    END IF;
    EXECUTE replica_fix_read.request ->> 'sql' INTO v_value
    USING v_1, v_2, NULLIF(replica_fix_read.request -> 'p_3', 'null');
    RETURN jsonb_build_object(v_key, v_value);
END;
$body$;

COMMENT ON FUNCTION recon.replica_fix_read(jsonb, jsonb) IS
'On a hot standby, in a read-only transaction begun after recon.replica_wait(target) returned '
'(one transaction for all the reads of a plan: one snapshot): runs one read of the money '
'tables that recon.replica_fix() asked for on the primary (request: its "read", signed with '
'the target''s secret) and returns {key: value}, to pass back to recon.replica_fix(). Writes '
'nothing. Errors: RC220-RC222 as recon.replica_wait(), RC223 not replayed the target yet, '
'RC224 a request not signed by the primary for this target, RC225 the target expired.';

REVOKE EXECUTE ON FUNCTION recon.replica_fix_read(jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.replica_fix_read(jsonb, jsonb) TO recon_operator;
