-- _recon.guard_follow_checks(): the drift guards a change of balance checks concerns,
-- recompiled in the same transaction.
CREATE OR REPLACE FUNCTION _recon.guard_follow_checks(p_check text, p_wallet text)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_guard _recon.guard;
    v_sums jsonb;
    v_done jsonb := '[]'::jsonb;
BEGIN
    -- A drift guard sums the ledgers its balance checks list with its own, read when it was
    -- enabled (_recon.guard_drift_sums, kept in compiled -> 'ledgers'). A check registered or
    -- dropped since can change that set: a guard still summing a ledger no check sums with
    -- its own lets through what reconcile finds; one not summing a ledger a new check lists
    -- blocks the correct postings through it. Each guard whose set changed is enabled again
    -- (_recon.recompile_guard) before the change commits, or the change is refused.
    -- Only a guard on a ledger of the check's wallet source can sum its ledgers.
    FOR v_guard IN SELECT g.* FROM _recon.guard AS g
                   JOIN _recon.ledger_source AS l ON l.name = g.target
                   WHERE g.kind = 'drift' AND l.wallet_source = p_wallet
                   ORDER BY g.id LOOP
        v_sums := _recon.guard_drift_sums(v_guard.target);
        CONTINUE WHEN v_guard.compiled -> 'ledgers' IS NOT DISTINCT FROM v_sums;
        BEGIN
            PERFORM _recon.recompile_guard(v_guard.id);
        EXCEPTION
            WHEN lock_not_available OR query_canceled OR deadlock_detected THEN
                RAISE;
            WHEN OTHERS THEN
                PERFORM _recon.fail(
                    'RC411',
                    format('check %s changes what the drift guard on %s sums, and the guard '
                           || 'cannot be enabled again here', p_check, v_guard.target),
                    format('The guard sums ledgers %s; with this change it must sum %s. '
                           || 'Enabling it again failed: %s',
                           COALESCE(v_guard.compiled -> 'ledgers', '"unknown"'::jsonb),
                           v_sums, SQLERRM),
                    format('Run this as the owner of the guarded tables (or a superuser), or '
                           || 'first SELECT recon.disable_guard(''drift'', %L) and enable it '
                           || 'again after the change; docs/GUARDS.md "Several ledgers, one '
                           || 'balance column".', v_guard.target));
        END;
        v_done := v_done || to_jsonb(v_guard.target);
    END LOOP;
    RETURN v_done;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_follow_checks(text, text) IS
'Called by recon.register_check and recon.drop_check (balance check p_check on wallet source '
'p_wallet) after the change: every drift guard on a ledger of p_wallet whose set of summed '
'ledgers (_recon.guard_drift_sums) is no longer the one it was enabled with is enabled again '
'in the same transaction (_recon.recompile_guard), so that block mode keeps stopping exactly '
'what reconcile finds. RC411 (nothing changed) when one cannot be (the tables'' owner is '
'needed, or the guard cannot sum a ledger of the new set). Returns the targets of the guards '
'recompiled.';

REVOKE EXECUTE ON FUNCTION _recon.guard_follow_checks(text, text) FROM PUBLIC;
