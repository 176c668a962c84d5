-- _recon.fix_read(): one read of the money tables by recon.fix()'s dry-run planner.
CREATE OR REPLACE FUNCTION _recon.fix_read(
    p_sql text, p_1 text[] DEFAULT NULL, p_2 text[] DEFAULT NULL, p_3 jsonb DEFAULT NULL
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_txid xid8 := pg_current_xact_id_if_assigned();
    v_key text;
    v_value jsonb;
BEGIN
    -- $1 and $2 are sets of keys: taken sorted and without repeats, so that one read has one
    -- key however the planner collected them.
    p_1 := CASE WHEN p_1 IS NOT NULL THEN ARRAY(SELECT DISTINCT x FROM unnest(p_1) AS x
                                                 ORDER BY x) END;
    p_2 := CASE WHEN p_2 IS NOT NULL THEN ARRAY(SELECT DISTINCT x FROM unnest(p_2) AS x
                                                 ORDER BY x) END;
    -- Ordinarily the read runs here, now (under the caller's locks when applying).
    IF v_txid IS NULL OR NOT EXISTS (SELECT FROM _recon.fix_read_memo AS m
                                     WHERE m.txid = v_txid AND m.read_key = '') THEN
        EXECUTE p_sql INTO v_value USING p_1, p_2, p_3;
        RETURN v_value;
    END IF;
    -- A plan made from a standby's reads (recon.replica_fix): the value the standby read for
    -- exactly this statement and these parameters, in its one snapshot; a read it has not
    -- served yet stops the plan (RC229), and recon.replica_fix asks the standby for it.
    v_key := _recon.fix_read_key(p_sql, p_1, p_2, p_3);
    SELECT m.read_value INTO v_value FROM _recon.fix_read_memo AS m
    WHERE m.txid = v_txid AND m.read_key = v_key;
    IF FOUND THEN
        -- a read of no value travels as JSON null
        RETURN CASE WHEN jsonb_typeof(v_value) <> 'null' THEN v_value END;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'RC229', MESSAGE = 'a read of the plan not served by the standby yet',
        DETAIL = jsonb_build_object('key', v_key, 'sql', p_sql, 'p_1', p_1, 'p_2', p_2,
                                    'p_3', p_3)::text,
        HINT = 'Internal to recon.replica_fix(): it asks the standby for this read and plans '
               || 'again.';
END;
$body$;

COMMENT ON FUNCTION _recon.fix_read(text, text[], text[], jsonb) IS
'One read of the money tables by recon.fix()''s planner: the query p_sql (one jsonb value) '
'with its parameters $1 = p_1, $2 = p_2 (sets of keys: sorted, without repeats), $3 = p_3. '
'Run here, unless recon.replica_fix() is planning from a standby''s reads in this '
'transaction (_recon.fix_read_memo, which only it writes and which it empties before it '
'returns): then the value the standby read for that query and parameters, else RC229 (that '
'read is asked of the standby, and the plan made again).';

REVOKE EXECUTE ON FUNCTION _recon.fix_read(text, text[], text[], jsonb) FROM PUBLIC;
