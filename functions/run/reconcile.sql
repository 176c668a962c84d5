-- recon.reconcile(): run checks, classify, explain, and keep findings as open issues.
CREATE OR REPLACE FUNCTION recon.reconcile(
    p_checks text[] DEFAULT NULL, p_mode text DEFAULT 'full'
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- JIT compiling a check's many expressions costs more than it saves (docs/PERFORMANCE.md).
SET jit = off
AS $body$
DECLARE
    v_run bigint;
    v_names text[];
    v_check _recon.check_def;
    v_reason text;
    v_watermark text;
    v_modes jsonb := '{}'::jsonb;
    v_new bigint;
    v_resolved bigint;
    v_acknowledged bigint[];
    v_alert bigint;
    v_summary jsonb;
    v_amounts jsonb;
    v_started timestamptz := clock_timestamp();
    v_started_run bigint;
    -- a run whose read work a standby did (recon.record_replica_run): staged already
    v_replica jsonb;
    v_stale bigint;
    v_holder integer;
    v_check_started timestamptz;
    v_rows bigint;
    v_done integer := 0;
    -- The kinds by their part in the causes (_recon.check_kind.cause_roles, docs/CHECKS.md §4).
    v_explained text[];
    v_explainers text[];
    v_payment text[];
    v_amount text[];
    v_break text[];
    v_total text[];
    v_missing_wallet text[];
    v_pattern text[];
    v_user_query text[];
    -- Progress (a NOTICE per check) only when the caller asks: wallet-recon check on a terminal.
    v_progress CONSTANT boolean := COALESCE(current_setting('wallet_recon.progress', TRUE), '')
        = 'on';
BEGIN
    v_names := _recon.run_checks(p_checks, p_mode);
    -- One reconcile at a time per database: findings are merged into one set of open issues.
    PERFORM pg_advisory_xact_lock(hashtextextended('wallet-recon reconcile', 0));

    -- The run recon.start_run() recorded for this session (same checks and mode), or a new one.
    v_started_run := NULLIF(current_setting('wallet_recon.run_id', TRUE), '')::bigint;
    PERFORM set_config('wallet_recon.run_id', '', FALSE);
    UPDATE _recon.run AS r SET started_at = clock_timestamp()
    WHERE r.id = v_started_run AND r.status = 'running' AND r.mode = p_mode
      AND r.checks = v_names AND _recon.run_lock_owner(r.id) = pg_backend_pid()
    RETURNING r.id, r.summary -> 'replica' INTO v_run, v_replica;
    IF v_run IS NULL THEN
        INSERT INTO _recon.run (mode, checks) VALUES (p_mode, v_names) RETURNING id INTO v_run;
        v_started_run := NULL;
    END IF;
    -- Started runs whose session is gone (their lock is free) never finished: interrupted.
    FOR v_stale IN SELECT r.id FROM _recon.run AS r
                   WHERE r.status = 'running' AND r.id <> v_run ORDER BY r.id LOOP
        v_holder := _recon.run_lock_owner(v_stale);
        IF v_holder = pg_backend_pid() THEN
            -- started by this session and never finished (its reconcile failed): let it go
            PERFORM pg_advisory_unlock(_recon.run_lock_key(v_stale));
        END IF;
        IF v_holder IS NULL OR v_holder = pg_backend_pid() THEN
            UPDATE _recon.run AS r
            SET status = 'interrupted', finished_at = clock_timestamp(),
                summary = jsonb_build_object('run_id', r.id, 'status', 'interrupted',
                                             'mode', r.mode, 'checks', to_jsonb(r.checks),
                                             'marked_by_run', v_run)
            WHERE r.id = v_stale;
        END IF;
    END LOOP;

    -- 1. Every check's findings, staged. A check that fails makes the whole run fail: nothing
    --    is recorded from a run that could not see everything it was asked to. In incremental
    --    mode a balance check runs from its watermark when that can be shown to give the full
    --    result (_recon.balance_increment), and in full otherwise; a full balance check leaves
    --    a watermark for the next incremental run.
    FOR v_check IN SELECT c.* FROM _recon.check_def AS c WHERE c.name = ANY (v_names)
                     AND v_replica IS NULL ORDER BY c.name LOOP
        v_reason := CASE WHEN p_mode = 'full' THEN 'full mode'
                         WHEN v_check.kind <> 'balance' THEN 'only balance checks run incrementally'
                         ELSE _recon.balance_increment(v_check, v_run) END;
        v_watermark := NULL;
        v_check_started := clock_timestamp();
        v_rows := 0;
        -- a balance check's full run leaves its incremental state from the same pass
        IF v_reason IS NOT NULL AND v_check.kind = 'balance' THEN
            v_watermark := COALESCE(_recon.balance_full(v_check, v_run), 'set');
        END IF;
        IF v_reason IS NOT NULL AND v_watermark IS DISTINCT FROM 'set' THEN
            EXECUTE format($q$
                INSERT INTO _recon.run_stage
                    (run_id, check_name, finding_key, wallet_key, stored, expected, difference,
                     details, cause)
                SELECT $1, d.check_name,
                       d.fkey || CASE WHEN count(*) OVER (PARTITION BY d.fkey) > 1
                                      THEN '#' || row_number() OVER (PARTITION BY d.fkey)
                                      ELSE '' END,
                       d.wallet_key, d.stored, d.expected, d.difference, d.details,
                       d.details ->> 'cause'
                FROM (SELECT f.*, concat_ws('/', COALESCE(f.wallet_key, '-'),
                                            f.details ->> 'item') AS fkey
                      FROM recon.%I AS f) AS d
            $q$, v_check.view_name) USING v_run;
            GET DIAGNOSTICS v_rows = ROW_COUNT;
        ELSIF v_reason IS NOT NULL AND v_progress THEN
            SELECT count(*) INTO v_rows FROM _recon.run_stage AS s
            WHERE s.run_id = v_run AND s.check_name = v_check.name;
        END IF;
        PERFORM _recon.stage_labels(v_run, v_check);
        PERFORM _recon.stage_currency(v_run, v_check);
        v_modes := v_modes || jsonb_build_object(v_check.name, jsonb_strip_nulls(jsonb_build_object(
            'mode', CASE WHEN v_reason IS NULL THEN 'incremental' ELSE 'full' END,
            'why_full', CASE WHEN p_mode = 'incremental' THEN v_reason END,
            'watermark', v_watermark)));
        v_done := v_done + 1;
        IF v_progress THEN
            RAISE NOTICE 'wallet-recon progress: %/% %: % finding(s) in % ms',
                v_done, cardinality(v_names), v_check.name, v_rows,
                round(extract(EPOCH FROM clock_timestamp() - v_check_started) * 1000);
        END IF;
    END LOOP;

    v_modes := COALESCE(v_replica -> 'runs', v_modes);

    -- The stage's statistics, now that it holds this run's findings: the joins below over
    -- thousands of findings are planned as hash joins, not nested loops (one run at a time
    -- holds the advisory lock above, so nothing else analyzes it meanwhile).
    PERFORM _recon.analyze_run_stage();  -- never waiting behind autovacuum

    -- An acknowledged finding (recon.fix, strategy acknowledge) seen again as it was
    -- acknowledged (the same difference, the finding open ever since, the acknowledgement not
    -- withdrawn) is not reported; it stays open, quietly. Once a run no longer sees it, it is
    -- resolved like any other, and the same drift later is a new finding.
    WITH ack AS (
        DELETE FROM _recon.run_stage AS s
        USING _recon.repair AS r, _recon.finding AS f
        WHERE s.run_id = v_run AND r.strategy = 'acknowledge' AND f.id = r.finding_id
          AND f.resolved_run IS NULL AND f.dropped_at IS NULL
          AND f.check_name = s.check_name AND f.finding_key = s.finding_key
          AND r.difference IS NOT DISTINCT FROM s.difference
          AND NOT EXISTS (SELECT FROM _recon.repair AS v WHERE v.reverses = r.id)
        RETURNING f.id
    )
    SELECT COALESCE(array_agg(DISTINCT ack.id), '{}') INTO v_acknowledged FROM ack;
    UPDATE _recon.finding AS f SET last_seen_run = v_run WHERE f.id = ANY (v_acknowledged);

    -- 2. Causes a balance or derived finding can show: on the same wallet source and wallet, a
    --    duplicate posting or orphaned payments of exactly the drift (a payment with the sign
    --    a missing credit gives), or a chain break. Which kinds play which part is the
    --    registry's (cause_roles): explained (balance, derived), explained by payment (orphan),
    --    amount (duplicate) or break (chain), tried in that order.
    SELECT COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'explained' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY (
                        SELECT min(array_position(ARRAY['payment', 'amount', 'break'], r))
                        FROM unnest(k.cause_roles) AS r), k.kind)
                        FILTER (WHERE k.cause_roles && ARRAY['payment', 'amount', 'break']), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'payment' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'amount' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'break' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'total' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'missing_wallet' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'pattern' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind) FILTER (WHERE k.user_query), '{}')
    INTO v_explained, v_explainers, v_payment, v_amount, v_break, v_total, v_missing_wallet,
         v_pattern, v_user_query
    FROM _recon.check_kind AS k;
    --    An orphan or a duplicate explaining the drift holds the same money, in the same
    --    currency: the drift is explained by it (explained_by), and totals count that money
    --    once, there. A chain break shows why, not how much: both count.
    UPDATE _recon.run_stage AS s
    SET cause = m.cause,
        details = s.details || jsonb_build_object(
            'cause', m.cause,
            'evidence', jsonb_build_object('check', m.check_name, 'finding', m.finding_key)
                        || (m.details - 'cause' - 'item')),
        explained_by = CASE
            WHEN m.kind = ANY (v_break) OR m.currency IS DISTINCT FROM s.currency THEN NULL
            WHEN m.kind = ANY (v_payment) AND m.difference IS DISTINCT FROM -s.difference THEN (
                -- payments summing to the drift: all of them
                SELECT jsonb_agg(jsonb_build_object('check', o2.check_name,
                                                    'finding', o2.finding_key)
                                 ORDER BY o2.finding_key)
                FROM _recon.run_stage AS o2
                WHERE o2.run_id = s.run_id AND o2.check_name = m.check_name
                  AND o2.wallet_key = s.wallet_key)
            ELSE jsonb_build_array(jsonb_build_object('check', m.check_name,
                                                      'finding', m.finding_key))
        END
    FROM (
        SELECT DISTINCT ON (b.finding_key, b.check_name)
               b.check_name AS b_check, b.finding_key AS b_key,
               o.check_name, o.finding_key, o.cause, o.details, o.currency, o.difference,
               co.kind
        FROM _recon.run_stage AS b
        JOIN _recon.check_def AS cb ON cb.name = b.check_name AND cb.kind = ANY (v_explained)
        JOIN _recon.run_stage AS o ON o.run_id = b.run_id AND o.wallet_key = b.wallet_key
        JOIN _recon.check_def AS co ON co.name = o.check_name
            AND co.kind = ANY (v_explainers)
            AND co.wallet_source = cb.wallet_source
        WHERE b.run_id = v_run AND b.cause IS NULL
          -- a missing payment makes the stored balance exceed the ledger by it (signs
          -- opposite: the orphan's difference is minus the payment); two or more on one wallet
          -- by their sum
          AND (co.kind = ANY (v_break)
               OR (co.kind = ANY (v_payment)
                   AND (o.difference = -b.difference
                        OR (SELECT sum(o2.difference) FROM _recon.run_stage AS o2
                            WHERE o2.run_id = b.run_id AND o2.check_name = o.check_name
                              AND o2.wallet_key = b.wallet_key) = -b.difference))
               OR (co.kind = ANY (v_amount) AND abs(o.difference) = abs(b.difference)))
        ORDER BY b.finding_key, b.check_name,
                 array_position(v_explainers, co.kind), o.finding_key
    ) AS m
    WHERE s.run_id = v_run AND s.check_name = m.b_check AND s.finding_key = m.b_key;

    -- A total that drifts by exactly what missing wallets hold (a total kind's finding, a
    -- coverage kind's findings): the missing wallets, which hold that money (explained_by)
    -- when they are all in the total's currency.
    UPDATE _recon.run_stage AS s
    SET cause = 'missing_wallet',
        details = s.details || jsonb_build_object(
            'cause', 'missing_wallet',
            'evidence', jsonb_build_object('check', m.check_name, 'missing_wallets', m.n,
                                           'amount', m.amount)),
        explained_by = CASE WHEN cardinality(m.currencies) = 1
                                 AND m.currencies[1] IS NOT DISTINCT FROM s.currency
                            THEN m.refs END
    FROM (
        SELECT o.check_name, count(*) AS n, sum(o.expected) AS amount,
               array_agg(DISTINCT o.currency) AS currencies,
               jsonb_agg(jsonb_build_object('check', o.check_name, 'finding', o.finding_key)
                         ORDER BY o.finding_key) AS refs
        FROM _recon.run_stage AS o
        JOIN _recon.check_def AS co ON co.name = o.check_name AND co.kind = ANY (v_missing_wallet)
        WHERE o.run_id = v_run
        GROUP BY o.check_name
    ) AS m, _recon.check_def AS c
    WHERE s.run_id = v_run AND c.name = s.check_name AND c.kind = ANY (v_total)
      AND s.cause IS NULL
      AND abs(s.difference) = m.amount;

    -- 3. Severity, per the runbook: one wallet LOW or MEDIUM by amount; several wallets HIGH;
    --    a systematic pattern (many wallets, one shown cause, or one hour) CRITICAL. Broken
    --    data (NULL, NaN, unknown wallets, unmapped types) is at least HIGH.
    WITH per_check AS (
        SELECT s.check_name, count(DISTINCT COALESCE(s.wallet_key, s.finding_key)) AS wallets
        FROM _recon.run_stage AS s WHERE s.run_id = v_run GROUP BY s.check_name
    )
    UPDATE _recon.run_stage AS s
    SET severity = CASE
        WHEN pc.wallets >= c.critical_wallets THEN 'CRITICAL'
        WHEN pc.wallets >= c.high_wallets THEN 'HIGH'
        WHEN s.cause IN ('invalid_balance', 'invalid_amount', 'unknown_wallet',
                         'unmapped_entry_type') THEN 'HIGH'
        -- the low_limit of the finding's currency, else "*": none (no limit given for it,
        -- or the currency unknown) is never LOW
        WHEN s.difference IS NULL
            OR abs(s.difference) > _recon.currency_amount(c.low_limit, s.currency)
            IS NOT FALSE THEN 'MEDIUM'
        ELSE 'LOW'
    END
    FROM per_check AS pc
    JOIN _recon.check_def AS c ON c.name = pc.check_name
    WHERE s.run_id = v_run AND pc.check_name = s.check_name;

    -- A pattern: pattern_wallets wallets sharing one shown cause (for the kinds whose cause is
    -- an explanation, not their definition), or one hour of posting: a UTC hour
    -- (_recon.posting_hour), so the session's TimeZone changes nothing.
    WITH per_cause AS (
        SELECT s.check_name, s.cause,
               count(DISTINCT COALESCE(s.wallet_key, s.finding_key)) AS wallets
        FROM _recon.run_stage AS s
        JOIN _recon.check_def AS c ON c.name = s.check_name
        WHERE s.run_id = v_run AND s.cause IS NOT NULL
          AND c.kind = ANY (v_pattern)
        GROUP BY s.check_name, s.cause
    ), per_hour AS (
        -- A custom check's details are the user's: its posted_at is not trusted to be a time.
        SELECT s.check_name,
               _recon.posting_hour(CASE WHEN c.kind <> ALL (v_user_query)
                                        THEN s.details ->> 'posted_at' END) AS hour,
               count(DISTINCT COALESCE(s.wallet_key, s.finding_key)) AS wallets
        FROM _recon.run_stage AS s
        JOIN _recon.check_def AS c ON c.name = s.check_name AND c.kind <> ALL (v_user_query)
        WHERE s.run_id = v_run AND s.details ? 'posted_at'
        GROUP BY 1, 2
    )
    UPDATE _recon.run_stage AS s
    SET severity = 'CRITICAL'
    FROM _recon.check_def AS c
    WHERE s.run_id = v_run AND c.name = s.check_name AND s.severity <> 'CRITICAL'
      AND (EXISTS (SELECT FROM per_cause AS p
                   WHERE p.check_name = s.check_name AND p.cause = s.cause
                     AND p.wallets >= c.pattern_wallets)
           OR EXISTS (SELECT FROM per_hour AS h
                      WHERE h.check_name = s.check_name AND h.wallets >= c.pattern_wallets
                        AND h.hour = _recon.posting_hour(CASE WHEN c.kind <> ALL (v_user_query)
                                                              THEN s.details ->> 'posted_at' END)));

    -- A total explained by missing wallets is as severe as those missing wallets are.
    UPDATE _recon.run_stage AS s
    SET severity = e.severity
    FROM (
        SELECT o.check_name, (ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[
                   max(_recon.severity_rank(o.severity))] AS severity
        FROM _recon.run_stage AS o WHERE o.run_id = v_run GROUP BY o.check_name
    ) AS e
    WHERE s.run_id = v_run AND s.cause = 'missing_wallet'
      AND s.details -> 'evidence' ->> 'check' = e.check_name
      AND _recon.severity_rank(e.severity) > _recon.severity_rank(s.severity);

    -- 4. Open issues: seen again, new, resolved; and what this run saw of each.
    UPDATE _recon.finding AS f
    SET last_seen_run = v_run, stored = s.stored, expected = s.expected,
        difference = s.difference, severity = s.severity, cause = s.cause, details = s.details,
        currency = s.currency, explained_by = NULL
    FROM _recon.run_stage AS s
    WHERE s.run_id = v_run AND f.resolved_run IS NULL AND f.dropped_at IS NULL
      AND f.check_name = s.check_name AND f.finding_key = s.finding_key;
    INSERT INTO _recon.finding (
        check_name, finding_key, wallet_key, first_seen_run, last_seen_run, stored, expected,
        difference, severity, cause, details, currency
    )
    SELECT s.check_name, s.finding_key, s.wallet_key, v_run, v_run, s.stored, s.expected,
           s.difference, s.severity, s.cause, s.details, s.currency
    FROM _recon.run_stage AS s
    WHERE s.run_id = v_run
      AND NOT EXISTS (SELECT FROM _recon.finding AS f
                      WHERE f.resolved_run IS NULL AND f.dropped_at IS NULL AND f.check_name = s.check_name
                        AND f.finding_key = s.finding_key)
    ORDER BY s.check_name, s.finding_key;  -- ids in a defined order, not the stage's
    GET DIAGNOSTICS v_new = ROW_COUNT;
    UPDATE _recon.finding AS f SET resolved_run = v_run
    WHERE f.resolved_run IS NULL AND f.dropped_at IS NULL AND f.check_name = ANY (v_names)
      AND f.id <> ALL (v_acknowledged)
      AND NOT EXISTS (SELECT FROM _recon.run_stage AS s
                      WHERE s.run_id = v_run AND s.check_name = f.check_name
                        AND s.finding_key = f.finding_key);
    GET DIAGNOSTICS v_resolved = ROW_COUNT;
    -- The findings that hold an explained finding's money, by id now that all have one.
    UPDATE _recon.finding AS f
    SET explained_by = (
        SELECT array_agg(e.id ORDER BY e.id)
        FROM jsonb_array_elements(s.explained_by) AS x (ref)
        JOIN _recon.finding AS e ON e.check_name = x.ref ->> 'check'
            AND e.finding_key = x.ref ->> 'finding'
            AND e.resolved_run IS NULL AND e.dropped_at IS NULL)
    FROM _recon.run_stage AS s
    WHERE s.run_id = v_run AND s.explained_by IS NOT NULL
      AND f.resolved_run IS NULL AND f.dropped_at IS NULL
      AND f.check_name = s.check_name AND f.finding_key = s.finding_key;
    INSERT INTO _recon.observation (
        run_id, finding_id, stored, expected, difference, severity, currency, explained_by
    )
    SELECT v_run, f.id, s.stored, s.expected, s.difference, s.severity, s.currency,
           f.explained_by
    FROM _recon.run_stage AS s
    JOIN _recon.finding AS f ON f.check_name = s.check_name AND f.finding_key = s.finding_key
        AND f.resolved_run IS NULL AND f.dropped_at IS NULL
    WHERE s.run_id = v_run;

    -- 5. The summary. Amounts only per currency (_recon.run_amounts): never added across
    --    currencies, each sum of money once.
    v_amounts := _recon.run_amounts(v_run);
    SELECT jsonb_build_object(
        'run_id', v_run,
        'mode', p_mode,
        'status', CASE WHEN count(s.*) = 0 THEN 'synced' ELSE 'discrepancy' END,
        'findings', count(s.*),
        'wallets', count(DISTINCT s.wallet_key),
        'new', v_new,
        'resolved', v_resolved,
        'acknowledged', cardinality(v_acknowledged),
        'max_severity', (ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[
            max(_recon.severity_rank(s.severity))],
        'by_currency', v_amounts -> 'by_currency',
        'by_severity', COALESCE((
            SELECT jsonb_object_agg(x.severity, jsonb_build_object('findings', x.n))
            FROM (SELECT y.severity, count(*) AS n
                  FROM _recon.run_stage AS y WHERE y.run_id = v_run GROUP BY y.severity) AS x
        ), '{}'),
        'by_check', (
            SELECT jsonb_object_agg(n.name, jsonb_build_object(
                'findings', COALESCE(x.n, 0), 'max_severity', x.max_severity,
                'by_currency', COALESCE(v_amounts -> 'by_check' -> n.name, '[]'::jsonb))
                -- a journal check's entries without a journal, when it declares them allowed
                || COALESCE((SELECT _recon.journal_skipped(c) FROM _recon.check_def AS c
                             WHERE c.name = n.name), '{}'::jsonb))
            FROM unnest(v_names) AS n (name)
            LEFT JOIN (SELECT y.check_name, count(*) AS n,
                              (ARRAY['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])[
                                  max(_recon.severity_rank(y.severity))] AS max_severity
                       FROM _recon.run_stage AS y WHERE y.run_id = v_run
                       GROUP BY y.check_name) AS x ON x.check_name = n.name
        ),
        'checks', to_jsonb(v_names),
        'runs', v_modes,
        'duration_ms', round(extract(epoch FROM clock_timestamp() - v_started) * 1000, 1)
    ) INTO v_summary
    FROM _recon.run_stage AS s WHERE s.run_id = v_run;
    v_summary := v_summary || jsonb_strip_nulls(jsonb_build_object('replica', v_replica - 'runs'));
    -- a guard whose trigger is disabled or missing guards nothing: said in every summary
    v_summary := v_summary || COALESCE((SELECT jsonb_build_object('guards_off', o)
                                        FROM _recon.guards_off() AS o
                                        WHERE jsonb_array_length(o) > 0), '{}');

    UPDATE _recon.run AS r
    SET finished_at = clock_timestamp(), status = v_summary ->> 'status', summary = v_summary
    WHERE r.id = v_run;
    IF v_started_run IS NOT NULL THEN
        PERFORM pg_advisory_unlock(_recon.run_lock_key(v_run));  -- recon.start_run()'s hold
    END IF;
    -- 6. A HIGH or CRITICAL run is an alert: a row, and a NOTIFY (sent when this commits).
    IF v_summary ->> 'max_severity' IN ('HIGH', 'CRITICAL') THEN
        INSERT INTO _recon.alert (kind, severity, run_id, message, details)
        VALUES ('run', v_summary ->> 'max_severity', v_run,
                format('run %s: %s findings on %s wallets, max severity %s', v_run,
                       v_summary ->> 'findings', v_summary ->> 'wallets',
                       v_summary ->> 'max_severity'),
                v_summary - 'runs')
        RETURNING id INTO v_alert;
        PERFORM pg_notify('wallet_recon_alert', jsonb_build_object(
            'alert_id', v_alert, 'kind', 'run', 'severity', v_summary ->> 'max_severity',
            'run_id', v_run, 'findings', v_summary -> 'findings',
            'message', format('run %s: max severity %s', v_run,
                              v_summary ->> 'max_severity'))::text);
    END IF;
    DELETE FROM _recon.run_stage AS s WHERE s.run_id = v_run;
    RETURN v_summary;
END;
$body$;

COMMENT ON FUNCTION recon.reconcile(text[], text) IS
'Runs every enabled check (or the named ones), records the run and its findings, classifies '
'severity (LOW/MEDIUM by amount for one wallet, HIGH for several wallets, CRITICAL for a '
'systematic pattern), attaches the suspected cause it can show, tracks findings across runs as '
'open issues, and returns a JSON summary: status synced or discrepancy, counts by severity and '
'by check, amounts per currency only (by_currency; never added across currencies; a finding '
'explained by another, the same money, counted once). The one-hour pattern rule buckets posting '
'times by UTC hour, whatever the session''s TimeZone. Errors: RC201 unknown mode, RC202 '
'unknown check. SECURITY DEFINER: recon_auditor may run it. Runs one at a time per database. '
'A HIGH or CRITICAL run raises an alert (recon.open_alerts, NOTIFY wallet_recon_alert). With '
'the setting wallet_recon.progress = on it raises a NOTICE per check (wallet-recon progress: '
'n/total check: findings in ms).';

REVOKE EXECUTE ON FUNCTION recon.reconcile(text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recon.reconcile(text[], text) TO recon_auditor, recon_operator;
