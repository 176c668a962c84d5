-- recon.allow_ledger_change(): the audited escape from an append-only guard.
CREATE OR REPLACE FUNCTION recon.allow_ledger_change(ledger text, ticket text, reason text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_column
DECLARE
    v_id bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM _recon.guard AS g
                   WHERE g.kind = 'append_only' AND g.target = allow_ledger_change.ledger) THEN
        PERFORM _recon.fail('RC406', format('no append_only guard on %L', allow_ledger_change.ledger),
                            'The escape is from an enabled append-only guard.',
                            'SELECT * FROM recon.guards; lists them.');
    END IF;
    IF _recon.blank(allow_ledger_change.ticket) OR _recon.blank(allow_ledger_change.reason) THEN
        PERFORM _recon.fail('RC303', 'changing a ledger entry needs a ticket and a reason',
                            format('ticket %L, reason %L.', allow_ledger_change.ticket, allow_ledger_change.reason),
                            'Both go into _recon.ledger_escape.');
    END IF;
    INSERT INTO _recon.ledger_escape (ledger_source, ticket, reason)
    VALUES (allow_ledger_change.ledger, allow_ledger_change.ticket, allow_ledger_change.reason) RETURNING id INTO v_id;
    RETURN v_id;
END;
$body$;

COMMENT ON FUNCTION recon.allow_ledger_change(text, text, text) IS
'Lets the calling transaction (only it) update or delete entries of a ledger under an '
'append-only guard, and records who, when, ticket and reason in _recon.ledger_escape. '
'Errors: RC406 no such guard, RC303 no ticket or reason (NULL, or only whitespace: '
'_recon.blank). Owner only.';

REVOKE EXECUTE ON FUNCTION recon.allow_ledger_change(text, text, text) FROM PUBLIC;
