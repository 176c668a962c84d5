-- _recon.require_writable(): a clear error for a call that stages or records in a read-only
-- transaction.
CREATE OR REPLACE FUNCTION _recon.require_writable(p_call text, p_why text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- A hot standby can write nothing (the CLI pointed at a replica URL): RC220, as recon.fix()
    -- and the replica protocol say it, not PostgreSQL's 25006 from the first write.
    IF pg_is_in_recovery() THEN
        PERFORM _recon.fail(
            'RC220', format('%s cannot run on a standby: this server is in recovery', p_call),
            p_why || ' A hot standby can write nothing; nothing was changed.',
            'Run it on the primary (point --database at the primary); the checks can read on '
            || 'a standby: wallet-recon check --database <primary> --replica <standby>.');
    END IF;
    -- Here a primary's transaction made read-only: BEGIN READ ONLY, or a role or session with
    -- default_transaction_read_only = on (an operator's safety net).
    IF current_setting('transaction_read_only')::boolean THEN
        PERFORM _recon.fail(
            'RC314', format('%s cannot run in a read-only transaction', p_call), p_why,
            'Run it in a read-write transaction (BEGIN READ WRITE; or SET '
            || 'default_transaction_read_only = off for the session); nothing of your '
            || 'tables changes without dry_run => false.');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.require_writable(text, text) IS
'RC220 on a hot standby, RC314 when the transaction is read-only on a primary (BEGIN READ '
'ONLY, default_transaction_read_only = on): p_call names the call, p_why what it must write (a '
'dry run stages its plan, a reconcile records its run).';

REVOKE EXECUTE ON FUNCTION _recon.require_writable(text, text) FROM PUBLIC;
