-- _recon.fix_caller(): check a repair call's dry_run, ticket and reason; who is calling.
CREATE OR REPLACE FUNCTION _recon.fix_caller(
    p_dry_run boolean, p_ticket text, p_reason text, p_what text
)
RETURNS name
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    IF p_dry_run IS NULL THEN
        PERFORM _recon.fail('RC303', 'dry_run is NULL', 'It must be true (plan) or false (apply).',
                            'Leave it out for a dry run.');
    END IF;
    IF NOT p_dry_run AND (_recon.blank(p_ticket)
                          OR _recon.blank(p_reason)) THEN
        PERFORM _recon.fail('RC303', format('%s needs a ticket and a reason', p_what),
                            format('ticket %L, reason %L.', p_ticket, p_reason),
                            'E.g. dry_run => false, ticket => ''INC-42'', reason => ''...'': '
                            || 'both go into the audit (recon.repairs).');
    END IF;
    -- A repair re-checks under its locks what it read before them. Under REPEATABLE READ or
    -- SERIALIZABLE every statement reads the transaction's first snapshot, taken before the
    -- lock wait: a concurrent repair that committed meanwhile is invisible, and would be
    -- applied twice. Only READ COMMITTED sees what the lock protects.
    IF NOT p_dry_run AND current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM _recon.fail(
            'RC310', format('%s needs READ COMMITTED, not %s', p_what,
                            upper(current_setting('transaction_isolation'))),
            'A repair re-verifies under its locks what it read before them; a REPEATABLE READ '
            || 'or SERIALIZABLE snapshot is older than the locks, so a concurrent repair would '
            || 'be invisible to it. Nothing was changed.',
            'Apply it in a READ COMMITTED transaction (the default), e.g. on its own: '
            || 'BEGIN ISOLATION LEVEL READ COMMITTED; ... COMMIT; a dry run works at any level.');
    END IF;
    -- SECURITY DEFINER callers see the owner as current_user; the role the session has set
    -- (else its login) is who is calling.
    RETURN CASE WHEN current_setting('role') = 'none' THEN session_user
                ELSE current_setting('role') END;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_caller(boolean, text, text, text) IS
'For recon.fix(), recon.reverse_fix() and recon.backfill(): RC303 when dry_run is NULL, or when '
'applying without a ticket or a reason (p_what names the call in the message); RC310 when '
'applying in a transaction that is not READ COMMITTED; returns the '
'caller''s role for the audit (the role it set, else its login).';

REVOKE EXECUTE ON FUNCTION _recon.fix_caller(boolean, text, text, text) FROM PUBLIC;
