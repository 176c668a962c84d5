-- _recon.ledger_bound_publish(): publish a bound a run takes, before it waits.
CREATE OR REPLACE FUNCTION _recon.ledger_bound_publish(p_relid oid, p_bound numeric)
RETURNS void
LANGUAGE plpgsql
VOLATILE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_seq regclass := to_regclass(_recon.ledger_bound_sequence(p_relid));
BEGIN
    -- A sequence is not transactional: every writer's trigger recon_ledger_order reads the new
    -- bound at once. Taken before the run waits for the transactions in flight, so an entry
    -- at or below it is either in one of those (waited for, then read) or recorded. It only
    -- goes up (a higher bound published by a run rolled back since records a few more).
    IF v_seq IS NOT NULL AND p_bound BETWEEN -9223372036854775807 AND 9223372036854775807
       AND p_bound > COALESCE(pg_sequence_last_value(v_seq), -9223372036854775807) THEN
        PERFORM setval(v_seq, p_bound::bigint, TRUE);
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_bound_publish(oid, numeric) IS
'Publishes the bound an incremental or full run takes for a ledger in its bound sequence '
'(_recon.ledger_bound_sequence), before the run waits for the transactions in flight, so that '
'the trigger recon_ledger_order records any entry inserted at or below it later. Only raises '
'it; a ledger without that trigger has nothing to publish.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_bound_publish(oid, numeric) FROM PUBLIC;
