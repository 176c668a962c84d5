-- recon.backfill(): create missing wallets with balanced opening entries (seed 003).
CREATE OR REPLACE FUNCTION recon.backfill(
    coverage_check text,
    dry_run boolean DEFAULT TRUE,
    ticket text DEFAULT NULL,
    reason text DEFAULT NULL,
    wallet_key text DEFAULT '{uuid}',
    wallet_columns jsonb DEFAULT '{}'
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $body$
DECLARE
    v_check _recon.check_def := _recon."check"(backfill.coverage_check);
    v_invoker name;
    v_target jsonb;
    v_before jsonb;
    v_after jsonb;
    v_stage bigint;
    v_fix bigint;
    v_created bigint;
    v_plan jsonb;
BEGIN
    -- 1. What it needs: a coverage check, a ledger of that wallet source with a double-entry
    --    writer (the opening entries are balanced against its offset wallet), good templates.
    PERFORM _recon.require_writable('recon.backfill()',
                                    'Even a dry run stages its plan in _recon.fix_stage (a '
                                    || 'scratch table of the toolkit) and removes it after.');
    v_invoker := _recon.fix_caller(backfill.dry_run, backfill.ticket, backfill.reason,
                                   'a backfill');
    v_target := _recon.backfill_target(v_check, backfill.wallet_key, backfill.wallet_columns);

    -- 2. The plan: one new wallet per missing owner, opening at the owner's legacy balance,
    --    the new wallets checked before anything is written (a dry run too).
    v_before := _recon.backfill_report(v_check);
    v_stage := _recon.backfill_plan(v_check, v_target);
    PERFORM _recon.backfill_check_wallets(v_stage, v_check, v_target, backfill.wallet_key);

    -- 3. Apply: the offset wallet locked, each owner claimed once (a second run, or a
    --    concurrent one, finds the claim), wallets created at zero, opening entries posted
    --    through the writer, balances moved, and the new wallets checked.
    IF NOT backfill.dry_run THEN
        INSERT INTO _recon.fix (action, run_id, ticket, reason, request, applied_by)
        VALUES ('backfill', NULL, backfill.ticket, backfill.reason, jsonb_build_object(
                    'coverage_check', backfill.coverage_check, 'wallet_key', backfill.wallet_key,
                    'wallet_columns', backfill.wallet_columns), v_invoker)
        RETURNING id INTO v_fix;
        v_created := _recon.backfill_apply(v_stage, v_fix, v_check, v_target, backfill.ticket,
                                           backfill.reason, v_invoker);
        v_after := _recon.backfill_report(v_check);
    END IF;

    -- 4. The report: each owner's new wallet, its opening balance and what became of it.
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'owner', s.finding_key, 'wallet', s.wallet_key,
               'opening', s.moves -> (v_target ->> 'column'), 'status', s.status, 'note', s.note,
               'repair_id', s.repair_id)) ORDER BY s.step)
    INTO v_plan FROM _recon.fix_stage AS s WHERE s.stage_id = v_stage;
    DELETE FROM _recon.fix_stage AS s WHERE s.stage_id = v_stage;
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'dry_run', backfill.dry_run, 'fix_id', v_fix, 'check', v_check.name,
        'offset_wallet', v_target ->> 'offset_wallet', 'before', v_before, 'after', v_after,
        'created', v_created, 'wallets', COALESCE(v_plan, '[]')));
END;
$body$;

COMMENT ON FUNCTION recon.backfill(text, boolean, text, text, text, jsonb) IS
'Seed 003''s backfill, general: for every owner a coverage check finds without a wallet, '
'creates the wallet (key from the wallet_key template, e.g. ''{uuid}''; other columns from '
'wallet_columns) and posts its opening balance (the owner''s legacy balance) against the '
'offset wallet of the ledger''s double-entry writer, so the journal stays balanced. Dry run by '
'default; applying needs a ticket and a reason; each owner is backfilled once (a second run '
'changes nothing). Returns a before/after report: wallets, missing, legacy total, treasury '
'drift, wallets with drift. Errors: RC303, RC309 (not a coverage check, no double-entry '
'writer, bad wallet column; new wallet keys that are not distinct, new and of the key column''s '
'type), RC305 the writer failed, RC307. docs/REPAIRS.md.';

REVOKE EXECUTE ON FUNCTION recon.backfill(text, boolean, text, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.backfill(text, boolean, text, text, text, jsonb)
TO recon_operator;
