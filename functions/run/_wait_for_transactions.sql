-- _recon.wait_for_transactions(): wait until every transaction now open in this database is over.
CREATE OR REPLACE FUNCTION _recon.wait_for_transactions(p_timeout interval)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_deadline timestamptz := clock_timestamp() + p_timeout;
    v_vxids text[];
    v_xids xid8[] := ARRAY(SELECT pg_snapshot_xip(pg_current_snapshot()));
BEGIN
    -- Every transaction has a virtual transaction id from its first statement, before it has a
    -- real one: a transaction that took a sequence value but has not written yet has only that.
    -- So, as CREATE INDEX CONCURRENTLY does, wait for the virtual ids (of this database's client
    -- sessions: no other can write our tables) and, for prepared transactions, the real ones.
    SELECT array_agg(l.virtualxid) INTO v_vxids
    FROM pg_locks AS l
    JOIN pg_stat_activity AS a ON a.pid = l.pid
    WHERE l.locktype = 'virtualxid' AND l.granted AND l.pid <> pg_backend_pid()
      AND a.datid = (SELECT d.oid FROM pg_database AS d WHERE d.datname = current_database())
      AND a.backend_type = 'client backend';
    WHILE EXISTS (SELECT FROM pg_locks AS l
                  WHERE l.locktype = 'virtualxid' AND l.virtualxid = ANY (v_vxids))
        OR EXISTS (SELECT FROM unnest(v_xids) AS x WHERE pg_xact_status(x) = 'in progress') LOOP
        IF clock_timestamp() > v_deadline THEN
            RETURN FALSE;
        END IF;
        PERFORM pg_sleep(0.005);
    END LOOP;
    RETURN TRUE;
END;
$body$;

COMMENT ON FUNCTION _recon.wait_for_transactions(interval) IS
'Waits until every transaction open now in this database (by virtual transaction id, so also '
'one that has taken a sequence value but not yet written) and every transaction in flight '
'(prepared ones included) has ended; false if that takes longer than p_timeout. Call it after '
'reading the highest ordering id: no entry at or below it can appear afterwards.';

REVOKE EXECUTE ON FUNCTION _recon.wait_for_transactions(interval) FROM PUBLIC;
