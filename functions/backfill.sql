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
    v_ws _recon.wallet_source;
    v_drift jsonb;
    v_owner_rel oid;
    v_owner_col text;
    v_ledger _recon.ledger_source;
    v_writer _recon.writer;
    v_col text;
    v_key_sql text;
    v_key_type text;
    v_before jsonb;
    v_after jsonb;
    v_plan jsonb;
    v_stage bigint;
    v_fix bigint;
    v_offsets jsonb;
    v_cols text := '';
    v_vals text := '';
    v_name text;
    v_value jsonb;
    v_created bigint;
    v_bad text;
    v_found text;
    v_balance _recon.check_def;
    v_invoker name;
BEGIN
    -- 1. What it needs: a coverage check, a ledger of that wallet source with a double-entry
    --    writer (the opening entries are balanced against its offset wallet).
    v_invoker := _recon.fix_caller(backfill.dry_run, backfill.ticket, backfill.reason,
                                   'a backfill');
    IF v_check.kind <> 'coverage' THEN
        PERFORM _recon.fail('RC309', format('%s is a %s check, not a coverage check',
                                            v_check.name, v_check.kind),
                            'A backfill creates the wallets a coverage check finds missing.',
                            'Name a coverage check (SELECT name FROM recon.checks WHERE kind = '
                            || '''coverage'').');
    END IF;
    v_ws := _recon.wallet(v_check.wallet_source);
    v_owner_rel := _recon.resolve_table(v_check.options ->> 'owner_table');
    v_owner_col := COALESCE(v_check.options ->> 'wallet_column', v_ws.owner_column);
    SELECT l.* INTO v_ledger FROM _recon.ledger_source AS l
    JOIN _recon.writer AS w ON w.ledger_source = l.name AND w.offset_wallet IS NOT NULL
    WHERE l.wallet_source = v_ws.name ORDER BY l.name LIMIT 1;
    IF v_ledger.name IS NULL THEN
        PERFORM _recon.fail(
            'RC309', format('wallet source %s has no ledger with a double-entry writer',
                            v_ws.name),
            'Opening balances are posted against a system offset account.',
            'recon.register_writer(<ledger>, ''{"offset_wallet": "system", ...}'').');
    END IF;
    SELECT w.* INTO v_writer FROM _recon.writer AS w WHERE w.ledger_source = v_ledger.name;
    SELECT b INTO v_col FROM unnest(v_ws.balance_columns) AS b WHERE v_ledger.effects ? b LIMIT 1;
    IF jsonb_typeof(backfill.wallet_columns) IS DISTINCT FROM 'object' THEN
        PERFORM _recon.fail('RC309', 'wallet_columns must be a JSON object',
                            format('Got %s.', backfill.wallet_columns),
                            'It maps a wallet column to a template, e.g. {"status": "active"}.');
    END IF;
    v_key_sql := _recon.template_sql(backfill.wallet_key, 'the new wallet key', 'x.j');
    v_key_type := _recon.column_type_sql(v_ws.relid, v_ws.key_column);
    FOR v_name, v_value IN SELECT m.key, m.value FROM jsonb_each(backfill.wallet_columns) AS m LOOP
        IF jsonb_typeof(v_value) <> 'string'
            OR v_name IN (v_ws.key_column, v_owner_col) OR v_name = ANY (v_ws.balance_columns) THEN
            PERFORM _recon.fail('RC309', format('bad wallet column %L', v_name),
                                'Key, owner and balances are the toolkit''s; values are strings.',
                                'Map the other columns, e.g. {"status": "active"}.');
        END IF;
        v_cols := v_cols || ', ' || quote_ident(
            _recon.resolve_column(v_ws.relid, v_name, 'a new wallet column'));
        v_vals := v_vals || format(', %s::%s',
                                   _recon.template_sql(v_value #>> '{}', 'column ' || v_name,
                                                       'x.j'),
                                   _recon.column_type_sql(v_ws.relid, v_name));
    END LOOP;

    -- 2. The plan: one new wallet per missing owner, opening at the owner's legacy balance.
    v_before := _recon.backfill_report(v_check);
    v_stage := nextval('_recon.fix_stage_seq');
    EXECUTE format($q$
        INSERT INTO _recon.fix_stage (
            stage_id, step, check_name, kind, finding_key, wallet_source, wallet_key,
            ledger_source, strategy, amount, postings, moves, stored_before, stored_after,
            status, repair_key, finding_id
        )
        SELECT $1, row_number() OVER (ORDER BY m.owner), $2, 'coverage', m.owner, $3, m.k, $4,
               'backfill', abs(m.opening),
               CASE WHEN m.opening IS NULL OR m.opening = 0 THEN '[]'::jsonb
                    ELSE jsonb_build_array(jsonb_build_object(
                   'wallet', m.k, 'deltas', jsonb_build_object($5, m.opening),
                   'purpose', 'opening', 'owner', m.owner,
                   'reference', 'OPENING-' || m.owner)) END,
               jsonb_strip_nulls(jsonb_build_object($5, m.opening)),
               (SELECT jsonb_object_agg(b, 0) FROM unnest($6::text[]) AS b),
               (SELECT jsonb_object_agg(b, CASE WHEN b = $5 THEN m.opening ELSE 0 END)
                FROM unnest($6::text[]) AS b),
               -- once per owner and wallet table: a source dropped and registered again over a
               -- new table (e.g. the demo run twice) starts afresh
               'planned', format('backfill:%%s:%%s:%%s', $3, $7, m.owner),
               (SELECT f.id FROM _recon.finding AS f
                WHERE f.check_name = $2 AND f.wallet_key = m.owner AND f.resolved_run IS NULL
                  AND f.dropped_at IS NULL LIMIT 1)
        FROM (
            SELECT v.wallet_key AS owner, %s AS opening, %s AS k
            FROM recon.%I AS v
            CROSS JOIN LATERAL (SELECT jsonb_build_object('owner', v.wallet_key) AS j) AS x
        ) AS m$q$,
        -- the legacy balance as it is: a NULL one is not an opening balance of 0
        CASE WHEN v_check.options ? 'owner_balance' THEN format(
            '(SELECT o.%I::numeric FROM %s AS o WHERE o.%I::text = v.wallet_key)',
            v_check.options ->> 'owner_balance', v_owner_rel::regclass,
            v_check.options ->> 'owner_key') ELSE '0::numeric' END,
        v_key_sql, v_check.view_name)
    USING v_stage, v_check.name, v_ws.name, v_ledger.name, v_col, v_ws.balance_columns,
        v_ws.relid::oid::text;
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('legacy balance %s is not an amount: needs a human',
                      COALESCE(s.moves ->> v_col, 'NULL'))
    WHERE s.stage_id = v_stage
      AND (s.moves ->> v_col IS NULL
           OR (s.moves ->> v_col)::numeric IN ('NaN', 'Infinity', '-Infinity'));
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('legacy balance %s does not fit %s (%s) or %s (%s): needs a human',
                      s.moves ->> v_col, v_col, _recon.column_type_sql(v_ws.relid, v_col),
                      v_ledger.amount_column,
                      _recon.column_type_sql(v_ledger.relid, v_ledger.amount_column))
    WHERE s.stage_id = v_stage AND s.status = 'planned'
      AND NOT (_recon.column_holds(v_ws.relid, v_col, (s.moves ->> v_col)::numeric)
               AND _recon.column_holds(v_ledger.relid, v_ledger.amount_column,
                                       abs((s.moves ->> v_col)::numeric)));
    -- The new wallets, checked before anything is written (a dry run too): every key a value
    -- of the key column, none NULL, none twice, none taken; every owner and wallet_columns
    -- value one of its column.
    BEGIN
        EXECUTE format($q$
            SELECT string_agg(format('%%s (owner %%s)', COALESCE(quote_literal(y.k), 'NULL'),
                                     y.owner), ', ' ORDER BY y.step)
            FROM (
                SELECT s.step, s.finding_key AS owner, s.wallet_key AS k,
                       count(*) OVER (PARTITION BY s.wallet_key) AS n,
                       jsonb_build_array(s.wallet_key::%3$s, s.finding_key::%4$s%5$s) AS v
                FROM _recon.fix_stage AS s
                CROSS JOIN LATERAL (SELECT jsonb_build_object('owner', s.finding_key,
                                                              'wallet', s.wallet_key) AS j) AS x
                WHERE s.stage_id = $1 AND s.status = 'planned'
            ) AS y
            WHERE y.k IS NULL OR y.n > 1 OR y.v IS NULL
               OR EXISTS (SELECT FROM %1$s AS w WHERE w.%2$I = y.k::%3$s)$q$,
            v_ws.relid::regclass, v_ws.key_column, v_key_type,
            _recon.column_type_sql(v_ws.relid, v_owner_col), v_vals)
        INTO v_bad USING v_stage;
    EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
        PERFORM _recon.fail('RC309', 'a new wallet''s key or column does not fit its column',
                            format('%s (SQLSTATE %s).', SQLERRM, SQLSTATE),
                            'Check wallet_key and wallet_columns against the column types of '
                            || v_ws.relid::regclass::text || '.');
    END;
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail('RC309', 'the new wallets'' keys must be distinct, new and not NULL',
                            format('wallet_key %L gives: %s.', backfill.wallet_key, v_bad),
                            'Use a template that differs per owner, e.g. ''{uuid}'' or '
                            || '''w-{owner}''.');
    END IF;
    IF NOT backfill.dry_run THEN
        -- 3. Apply: the offset wallet locked, each owner claimed once (a second run, or a
        --    concurrent one, finds the claim), wallets created at zero, opening entries posted
        --    through the writer, balances moved, and the new wallets checked.
        INSERT INTO _recon.fix (action, run_id, ticket, reason, request, applied_by)
        VALUES ('backfill', NULL, backfill.ticket, backfill.reason, jsonb_build_object(
                    'coverage_check', backfill.coverage_check, 'wallet_key', backfill.wallet_key,
                    'wallet_columns', backfill.wallet_columns), v_invoker)
        RETURNING id INTO v_fix;
        v_drift := _recon.guard_drift_save();
        PERFORM set_config('wallet_recon.fix_id', v_fix::text, TRUE);
        INSERT INTO _recon.fix_active AS a (txid, fix_id) VALUES (pg_current_xact_id(), v_fix)
        ON CONFLICT (txid) DO UPDATE SET fix_id = excluded.fix_id;
        EXECUTE format('SELECT FROM %s AS w WHERE w.%I = $1::%s FOR UPDATE',
                       v_ws.relid::regclass, v_ws.key_column, v_key_type)
        USING v_writer.offset_wallet;
        -- The owners, locked (an application creating a wallet for one of them, with a foreign
        -- key to it, waits), then the coverage check again under the lock: an owner who got a
        -- wallet since the plan is skipped.
        EXECUTE format('SELECT FROM %s AS o WHERE o.%I::text = ANY ($1) ORDER BY o.%I FOR UPDATE',
                       v_owner_rel::regclass, v_check.options ->> 'owner_key',
                       v_check.options ->> 'owner_key')
        USING ARRAY(SELECT s.finding_key FROM _recon.fix_stage AS s
                    WHERE s.stage_id = v_stage AND s.status = 'planned');
        EXECUTE format($q$
            UPDATE _recon.fix_stage AS s SET status = 'skipped',
                note = 'has a wallet now: created since the plan'
            WHERE s.stage_id = $1 AND s.status = 'planned'
              AND NOT EXISTS (SELECT FROM recon.%I AS v WHERE v.wallet_key = s.finding_key)$q$,
            v_check.view_name)
        USING v_stage;
        PERFORM _recon.fix_claim(v_stage, v_fix, backfill.ticket, backfill.reason, v_invoker);
        EXECUTE format($q$
            INSERT INTO %1$s (%2$I, %3$I%4$s%5$s)
            SELECT s.wallet_key::%6$s, s.finding_key::%7$s%8$s%9$s
            FROM _recon.fix_stage AS s
            CROSS JOIN LATERAL (SELECT jsonb_build_object('owner', s.finding_key,
                                                          'wallet', s.wallet_key) AS j) AS x
            WHERE s.stage_id = $1 AND s.status = 'applied'
            ORDER BY s.step$q$,
            v_ws.relid::regclass, v_ws.key_column, v_owner_col,
            (SELECT string_agg(', ' || quote_ident(b), '') FROM unnest(v_ws.balance_columns) AS b),
            v_cols, v_key_type, _recon.column_type_sql(v_ws.relid, v_owner_col),
            repeat(', 0', cardinality(v_ws.balance_columns)), v_vals)
        USING v_stage;
        GET DIAGNOSTICS v_created = ROW_COUNT;
        v_offsets := _recon.fix_post(v_stage, v_fix, backfill.ticket, backfill.reason, '{}');
        PERFORM _recon.fix_move(v_stage, v_offsets);
        FOR v_balance IN SELECT c.* FROM _recon.check_def AS c
                         WHERE c.kind = 'balance' AND c.enabled AND c.wallet_source = v_ws.name
                         ORDER BY c.name LOOP
            EXECUTE format('SELECT string_agg(r.check_name || '' '' || r.finding_key, ''; '') '
                           || 'FROM (%s) AS r', _recon.recheck_sql(v_balance))
            INTO v_found USING ARRAY(SELECT s.wallet_key FROM _recon.fix_stage AS s
                                     WHERE s.stage_id = v_stage AND s.status = 'applied');
            v_bad := NULLIF(concat_ws('; ', v_bad, v_found), '');
        END LOOP;
        IF v_bad IS NOT NULL THEN
            PERFORM _recon.fail('RC307', 'the backfill did not verify; nothing was applied',
                                v_bad, 'Check the writer (recon.register_writer) and try again.');
        END IF;
        DELETE FROM _recon.fix_active AS a WHERE a.txid = pg_current_xact_id();
        PERFORM set_config('wallet_recon.fix_id', '', TRUE);
        PERFORM _recon.guard_drift_restore(v_drift);  -- the drift guards judge the rest
        v_after := _recon.backfill_report(v_check);
    END IF;
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'owner', s.finding_key, 'wallet', s.wallet_key, 'opening', s.moves -> v_col,
               'status', s.status, 'note', s.note, 'repair_id', s.repair_id)) ORDER BY s.step)
    INTO v_plan FROM _recon.fix_stage AS s WHERE s.stage_id = v_stage;
    DELETE FROM _recon.fix_stage AS s WHERE s.stage_id = v_stage;
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'dry_run', backfill.dry_run, 'fix_id', v_fix, 'check', v_check.name,
        'offset_wallet', v_writer.offset_wallet, 'before', v_before, 'after', v_after,
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
