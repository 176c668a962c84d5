-- _recon.guard_violation(): block (raise) or warn (warning, alert row, NOTIFY) for a guard.
CREATE OR REPLACE FUNCTION _recon.guard_violation(
    p_guard _recon.guard, p_item text, p_message text, p_details jsonb
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_alert bigint;
    v_details jsonb := p_details || jsonb_build_object(
        'guard', p_guard.kind, 'target', p_guard.target, 'mode', p_guard.mode, 'item', p_item,
        'txid', pg_current_xact_id()::text)
        -- the guard's triggers that are disabled or missing, when there are any
        || COALESCE((SELECT jsonb_build_object('triggers_off', jsonb_agg(o.value))
                     FROM jsonb_array_elements(_recon.guards_off()) AS o
                     WHERE (o.value ->> 'guard')::integer = p_guard.id
                     HAVING count(*) > 0), '{}');
BEGIN
    IF p_guard.mode = 'block' THEN
        RAISE EXCEPTION USING
            ERRCODE = CASE p_guard.kind WHEN 'drift' THEN 'RC401' WHEN 'derived' THEN 'RC402'
                                        WHEN 'double_entry' THEN 'RC403'
                                        WHEN 'lifecycle' THEN 'RC404' ELSE 'RC405' END,
            MESSAGE = format('%s guard on %s: %s', p_guard.kind, p_guard.target, p_message),
            DETAIL = v_details::text,
            HINT = CASE WHEN p_details ? 'hint' THEN p_details ->> 'hint'
                        WHEN p_guard.kind = 'append_only' THEN
                'Ledger entries are never changed: post an adjustment (recon.fix), or take the '
                || 'audited escape recon.allow_ledger_change(ledger, ticket, reason) first.'
                ELSE 'The transaction was rolled back: nothing it wrote was kept. Write balances '
                || 'and ledger entries together; docs/GUARDS.md.' END;
    END IF;
    RAISE WARNING USING
        MESSAGE = format('%s guard on %s: %s', p_guard.kind, p_guard.target, p_message),
        DETAIL = v_details::text,
        HINT = 'Recorded in recon.open_alerts and sent on channel wallet_recon_alert.';
    INSERT INTO _recon.alert (kind, severity, guard_id, source, item, message, details)
    VALUES (p_guard.kind, 'HIGH', p_guard.id, p_guard.target, p_item, p_message, v_details)
    RETURNING id INTO v_alert;
    PERFORM pg_notify('wallet_recon_alert', (v_details || jsonb_build_object(
        'alert_id', v_alert, 'kind', p_guard.kind, 'severity', 'HIGH',
        'message', p_message))::text);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_violation(_recon.guard, text, text, jsonb) IS
'What a guard does about a bad write (its callers let an audited recon.fix() through): in '
'block mode, '
'raises its SQLSTATE (RC401 drift, RC402 derived, RC403 double_entry, RC404 lifecycle, RC405 '
'append_only) so the transaction fails; in warn mode, RAISE WARNING, a row in _recon.alert '
'and pg_notify on channel wallet_recon_alert with a JSON payload (docs/GUARDS.md). A "hint" '
'in p_details is the error''s HINT. The details name the guard''s triggers that are '
'disabled or missing (triggers_off, _recon.guards_off), when there are any.';

REVOKE EXECUTE ON FUNCTION _recon.guard_violation(_recon.guard, text, text, jsonb) FROM PUBLIC;
