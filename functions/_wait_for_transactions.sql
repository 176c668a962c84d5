-- _recon.wait_for_transactions(): wait until the transactions in flight in a snapshot are over.
CREATE OR REPLACE FUNCTION _recon.wait_for_transactions(
    p_snapshot pg_snapshot, p_timeout interval
)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_deadline timestamptz := clock_timestamp() + p_timeout;
    v_xid xid8;
BEGIN
    FOR v_xid IN SELECT pg_snapshot_xip(p_snapshot) LOOP
        WHILE pg_xact_status(v_xid) = 'in progress' LOOP
            IF clock_timestamp() > v_deadline THEN
                RETURN FALSE;
            END IF;
            PERFORM pg_sleep(0.005);
        END LOOP;
    END LOOP;
    RETURN TRUE;
END;
$body$;

COMMENT ON FUNCTION _recon.wait_for_transactions(pg_snapshot, interval) IS
'Waits until every transaction in flight in the snapshot has committed or aborted; false if that '
'takes longer than p_timeout. After it, no ledger entry with an ordering id below what the '
'snapshot''s statement saw can still appear.';

REVOKE EXECUTE ON FUNCTION _recon.wait_for_transactions(pg_snapshot, interval) FROM PUBLIC;
