-- recon.fix(): plan the repairs of open findings; apply them only when asked.
CREATE OR REPLACE FUNCTION recon.fix(
    run_id bigint DEFAULT NULL,
    dry_run boolean DEFAULT TRUE,
    ticket text DEFAULT NULL,
    reason text DEFAULT NULL,
    checks text[] DEFAULT NULL,
    wallets text[] DEFAULT NULL,
    force_strategy text DEFAULT NULL,
    wallet_limit numeric DEFAULT NULL,
    run_limit numeric DEFAULT NULL,
    findings bigint[] DEFAULT NULL,
    wallet_limits jsonb DEFAULT NULL,
    run_limits jsonb DEFAULT NULL
)
RETURNS SETOF recon.fix_step
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $body$
#variable_conflict use_column
DECLARE
    v_run bigint := fix.run_id;
    v_stage bigint;
    v_fix bigint;
    v_unknown text;
    v_invoker name;
    v_wallet_limit jsonb;
    v_run_limit jsonb;
BEGIN
    -- 1. Bad input fails before anything is read or written. Limits are maps per currency
    --    ({"USD": 500, "*": 10}); one amount (wallet_limit, run_limit) is read in the currency
    --    of each check the plan repairs (_recon.fix_call_limits, once the plan is made).
    IF pg_is_in_recovery() THEN
        PERFORM _recon.fail('RC220', 'recon.fix() cannot plan on a standby',
                            'Its plan is staged in _recon.fix_stage, and a standby can write '
                            || 'nothing.',
                            'Run recon.fix() (wallet-recon fix) on the primary; a dry run '
                            || 'can read on a standby: wallet-recon fix --replica URL '
                            || '(recon.replica_fix on the primary).');
    END IF;
    -- Applying reads the money tables here, under its locks: never inside a plan made from a
    -- standby's reads (recon.replica_fix, which makes dry runs only; _recon.fix_read).
    IF NOT fix.dry_run AND EXISTS (SELECT FROM _recon.fix_read_memo AS m
                                   WHERE m.txid = pg_current_xact_id_if_assigned()) THEN
        PERFORM _recon.fail('RC229', 'recon.fix() cannot apply on a standby''s reads',
                            'This transaction is making a plan from a standby''s reads '
                            || '(recon.replica_fix).',
                            'Apply with recon.fix(dry_run => false) in a transaction of its '
                            || 'own: it reads and re-verifies everything on the primary.');
    END IF;
    PERFORM _recon.require_writable('recon.fix()',
                                    'Even a dry run stages its plan in _recon.fix_stage (a '
                                    || 'scratch table of the toolkit) and removes it after.');
    PERFORM _recon.fix_limit(fix.wallet_limit, 'wallet_limit');
    PERFORM _recon.fix_limit(fix.run_limit, 'run_limit');
    IF (fix.wallet_limit IS NOT NULL AND fix.wallet_limits IS NOT NULL)
       OR (fix.run_limit IS NOT NULL AND fix.run_limits IS NOT NULL) THEN
        PERFORM _recon.fail('RC302', 'a limit given twice',
                            'wallet_limit is one amount in each check''s currency, '
                            || 'wallet_limits a map per currency (run_limit and run_limits '
                            || 'alike).',
                            'Give the map alone, with "*" for every currency it does not name.');
    END IF;
    v_wallet_limit := _recon.currency_amounts('wallet_limits', fix.wallet_limits, NULL, NULL,
                                              'RC302');
    v_run_limit := _recon.currency_amounts('run_limits', fix.run_limits, NULL, NULL, 'RC302');
    v_invoker := _recon.fix_caller(fix.dry_run, fix.ticket, fix.reason,
                                   'applying a fix');
    IF fix.force_strategy IS NOT NULL AND fix.force_strategy NOT IN (
        'adjust', 'resync', 'post_missing', 'reverse', 'move', 'resolve', 'acknowledge',
        'none') THEN
        PERFORM _recon.fail('RC304', format('unknown strategy %L', fix.force_strategy),
                            'Strategies: adjust, resync, post_missing, reverse, move, resolve, '
                            || 'acknowledge, none.',
                            'Use one of adjust, resync, post_missing, reverse, move, resolve, '
                            || 'acknowledge, none (docs/REPAIRS.md explains each).');
    END IF;
    IF fix.checks IS NOT NULL THEN
        SELECT string_agg(COALESCE(quote_literal(n), 'NULL'), ', ') INTO v_unknown
        FROM unnest(fix.checks) AS n
        WHERE n IS NULL OR NOT EXISTS (SELECT FROM _recon.check_def AS c WHERE c.name = n);
        IF v_unknown IS NOT NULL THEN
            PERFORM _recon.fail('RC107', format('unknown check %s', v_unknown),
                                'Only registered checks have findings to repair.',
                                'SELECT name FROM recon.checks; lists them.');
        END IF;
    END IF;
    IF fix.findings IS NOT NULL THEN
        SELECT string_agg(COALESCE(n::text, 'NULL') || CASE
                   WHEN f.id IS NULL THEN ' (no such finding)'
                   WHEN f.dropped_at IS NOT NULL THEN ' (its check was dropped)'
                   ELSE format(' (resolved by run %s)', f.resolved_run) END, ', ')
        INTO v_unknown
        FROM unnest(fix.findings) AS n
        LEFT JOIN _recon.finding AS f ON f.id = n
        WHERE f.id IS NULL OR f.resolved_run IS NOT NULL OR f.dropped_at IS NOT NULL;
        IF v_unknown IS NOT NULL THEN
            PERFORM _recon.fail('RC311', format('not an open finding: %s', v_unknown),
                                'Only open findings are repaired.',
                                'SELECT finding_id FROM recon.open_findings; lists them.');
        END IF;
    END IF;
    IF v_run IS NULL AND fix.checks IS NULL AND fix.wallets IS NULL
       AND fix.findings IS NULL THEN
        SELECT max(r.id) INTO v_run FROM _recon.run AS r WHERE r.finished_at IS NOT NULL;
        IF v_run IS NULL THEN
            PERFORM _recon.fail('RC301', 'no run to repair',
                                'recon.reconcile() has not completed a run yet.',
                                'SELECT recon.reconcile(); first.');
        END IF;
    ELSIF v_run IS NOT NULL AND NOT EXISTS (SELECT FROM _recon.run AS r
                                            WHERE r.id = v_run AND r.finished_at IS NOT NULL) THEN
        PERFORM _recon.fail('RC301', format('unknown run %s', v_run),
                            'No completed recon.reconcile() run has that number.',
                            'SELECT * FROM recon.runs; lists them.');
    END IF;

    -- 2. The plan. A dry run reads and returns it; nothing is written but scratch rows, which
    --    are gone when it returns.
    v_stage := nextval('_recon.fix_stage_seq');
    PERFORM _recon.fix_plan(v_stage, v_run, fix.checks, fix.wallets, fix.findings,
                            fix.force_strategy);
    v_wallet_limit := COALESCE(v_wallet_limit,
                               _recon.fix_call_limits(v_stage, fix.wallet_limit, 'wallet_limit'));
    v_run_limit := COALESCE(v_run_limit,
                            _recon.fix_call_limits(v_stage, fix.run_limit, 'run_limit'));
    IF fix.dry_run THEN
        PERFORM _recon.fix_assess(v_stage, v_wallet_limit, v_run_limit, FALSE);
    ELSE
        -- 3. Apply: lock the wallets in key order and re-verify under the lock, claim each
        --    repair by its unique key, post, move the stored balances, verify, audit. A step
        --    writing a float amount or balance refuses the whole call (RC320).
        PERFORM _recon.fix_floats(v_stage, TRUE);
        INSERT INTO _recon.fix (action, run_id, ticket, reason, request, applied_by)
        VALUES ('fix', v_run, fix.ticket, fix.reason, jsonb_strip_nulls(jsonb_build_object(
                    'run_id', v_run, 'checks', fix.checks, 'wallets', fix.wallets,
                    'force_strategy', fix.force_strategy, 'wallet_limit', fix.wallet_limit,
                    'run_limit', fix.run_limit, 'findings', fix.findings,
                    'wallet_limits', fix.wallet_limits, 'run_limits', fix.run_limits)),
                v_invoker)
        RETURNING id INTO v_fix;
        PERFORM _recon.fix_apply(v_stage, v_fix, fix.ticket, fix.reason, v_invoker,
                                 v_wallet_limit, v_run_limit, TRUE);
    END IF;

    RETURN QUERY SELECT r.* FROM _recon.fix_report(v_stage) AS r;
    DELETE FROM _recon.fix_stage AS s WHERE s.stage_id = v_stage;
END;
$body$;

COMMENT ON FUNCTION recon.fix(
    bigint, boolean, text, text, text[], text[], text, numeric, numeric, bigint[], jsonb, jsonb
) IS
'Plans the repair of open findings: of run run_id (default: the latest), or of the checks, '
'wallets or findings (ids) named; a finding acknowledged as it is now is not planned again. '
'One row per step (recon.fix_step): finding, wallet, strategy, amount, entries to post, stored '
'balances before and after, status (planned, applied, covered, manual, skipped), a note, the '
'currency, the change to the stored balances and to the ledger (offset wallets included) and '
'the ledger evidence the strategy was chosen on (a wallet whose ledger lost an entry is '
'restored or left manual, never resynced; a hold left open is committed or released, a second '
'resolution reversed, on the transaction''s status and entries; a wallet''s adjustments of '
'several columns are one posting). '
'A dry run (the default) writes nothing. dry_run => false with a ticket and a reason applies '
'it: wallets locked in key order, every finding re-verified under the lock, limits (per wallet '
'and per call, per currency: wallet_limits and run_limits are maps {"USD": 500, "*": 10}, '
'wallet_limit and run_limit one amount in the currency of each check repaired (RC302 for a '
'check whose wallets or entries each carry a currency and that names none); else the check''s '
'policy, else its low_limit; a currency with no limit is not repaired automatically, and each '
'step says which limit it used) and no overdraft enforced, each wallet repaired whole '
'or not at all, each repair applied once (a unique key), posted through the ledger''s writer, '
'verified by re-running every enabled check on the touched wallets and by each currency''s '
'totals moving by exactly the plan, and audited (recon.repairs). Errors: RC301 unknown run, '
'RC220 on a standby, RC302 bad limit, RC303 no ticket or reason, RC304 unknown strategy, '
'RC107 unknown check, '
'RC305 the writer failed, RC306 no entry type for a posting, RC307 the repair did not verify '
'or conserve, RC310 applying outside READ COMMITTED, RC311 not an open finding. '
'A step your balance or amount column cannot hold is skipped. docs/REPAIRS.md.';

REVOKE EXECUTE ON FUNCTION recon.fix(
    bigint, boolean, text, text, text[], text[], text, numeric, numeric, bigint[], jsonb, jsonb
) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.fix(
    bigint, boolean, text, text, text[], text[], text, numeric, numeric, bigint[], jsonb, jsonb
) TO recon_operator;
