-- _recon.fix_assess(): read (or lock) the wallets of a staged plan, re-verify, apply the limits.
CREATE OR REPLACE FUNCTION _recon.fix_assess(
    p_stage bigint, p_wallet_limit jsonb, p_run_limit jsonb, p_lock boolean
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- the stage's statistics are whatever the last ANALYZE saw (another call's plan, or none):
-- joins over it are hashed, never nested loops over thousands of steps
SET enable_nestloop = off
AS $body$
DECLARE
    v_ws _recon.wallet_source;
    v_check _recon.check_def;
    v_keys text[];
    v_map jsonb;
    v_stored jsonb := '{}'::jsonb;
    v_pre jsonb := '{}'::jsonb;
    v_currency jsonb := '{}'::jsonb;
    v_drift jsonb := '{}'::jsonb;
    v_cols text;
    v_blocking CONSTANT text :=
        '^(above|over|would|wallet|changed|ledger|no entry|cannot|the writer|the wallet)';
BEGIN
    -- 1. Every wallet the plan touches, and the offset wallets its writers post against: read,
    --    or locked FOR UPDATE, source by source in name order and by key within a source, so
    --    that two repairs (or a repair and a writer that locks in key order) never deadlock.
    FOR v_ws IN SELECT w.* FROM _recon.wallet_source AS w
                WHERE w.name IN (SELECT s.wallet_source FROM _recon.fix_stage AS s
                                 WHERE s.stage_id = p_stage)
                ORDER BY w.name LOOP
        v_keys := ARRAY(
            SELECT s.wallet_key FROM _recon.fix_stage AS s
            WHERE s.stage_id = p_stage AND s.wallet_source = v_ws.name
              AND s.wallet_key IS NOT NULL AND s.status IN ('planned', 'covered')
            UNION
            SELECT wr.offset_wallet FROM _recon.fix_stage AS s
            JOIN _recon.writer AS wr ON wr.ledger_source = s.ledger_source
            WHERE s.stage_id = p_stage AND s.wallet_source = v_ws.name
              AND s.status = 'planned' AND wr.offset_wallet IS NOT NULL
            UNION  -- a reversal's own offset wallet
            SELECT e.value ->> 'offset_wallet' FROM _recon.fix_stage AS s,
                   jsonb_array_elements(s.postings) AS e
            WHERE s.stage_id = p_stage AND s.wallet_source = v_ws.name
              AND s.status = 'planned' AND e.value ->> 'offset_wallet' IS NOT NULL);
        SELECT string_agg(format('%L, %s', b, _recon.major_sql(v_ws.balance_scale,  -- major units
                                                               format('w.%I', b), 'w')), ', ')
        INTO v_cols
        FROM unnest(v_ws.balance_columns) AS b;
        EXECUTE format(
            'SELECT jsonb_object_agg(x.k, x.v) FROM (SELECT w.%1$I::text AS k, '
            || 'jsonb_build_object(%2$s) AS v FROM %3$s AS w WHERE w.%1$I = ANY ($1::%4$s[]) '
            || 'ORDER BY w.%1$I %5$s) AS x',
            v_ws.key_column, v_cols, v_ws.relid::regclass,
            _recon.column_type(v_ws.relid, v_ws.key_column),
            CASE WHEN p_lock THEN 'FOR UPDATE' ELSE '' END)
        INTO v_map USING v_keys;
        v_stored := v_stored || jsonb_build_object(v_ws.name, COALESCE(v_map, '{}'));
    END LOOP;
    UPDATE _recon.fix_stage AS s
    SET stored_before = v_stored -> s.wallet_source -> s.wallet_key
    WHERE s.stage_id = p_stage AND s.wallet_key IS NOT NULL;
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', note = 'wallet not found in its table'
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered') AND s.wallet_key IS NOT NULL
      AND s.stored_before IS NULL AND s.strategy <> 'acknowledge';

    -- 2. What each check finds now for those wallets (under the locks when applying): a step
    --    whose finding is gone or has changed since the run is skipped. The same checks run
    --    again after the repair (recon.fix), against this picture.
    BEGIN
        -- The plan's checks, and every enabled check of the wallet sources it touches: a
        -- repair that opens a finding anywhere on those wallets is refused (recon.fix).
        FOR v_check IN SELECT c.* FROM _recon.check_def AS c
                       WHERE c.name IN (SELECT s.check_name FROM _recon.fix_stage AS s
                                        WHERE s.stage_id = p_stage AND s.strategy <> 'reversal'
                                          AND s.status IN ('planned', 'covered'))
                          OR (c.enabled AND c.wallet_source IN (
                                  SELECT s.wallet_source FROM _recon.fix_stage AS s
                                  WHERE s.stage_id = p_stage AND s.status = 'planned'))
                          -- what it posts must not look like a duplicate
                          OR (c.kind = 'duplicate' AND c.enabled AND c.ledger_source IN (
                                  SELECT s.ledger_source FROM _recon.fix_stage AS s
                                  WHERE s.stage_id = p_stage AND s.status = 'planned'
                                    AND s.postings <> '[]'))
                       ORDER BY c.name LOOP
            -- the wallets read, and a plan's wallets missing from their table (an unknown
            -- wallet's finding is re-checked too)
            v_keys := ARRAY(SELECT jsonb_object_keys(v_stored -> v_check.wallet_source)
                            UNION
                            SELECT s.wallet_key FROM _recon.fix_stage AS s
                            WHERE s.stage_id = p_stage AND s.wallet_key IS NOT NULL
                              AND s.wallet_source = v_check.wallet_source);
            EXECUTE format('SELECT jsonb_object_agg(r.finding_key, r.difference) FROM (%s) AS r',
                           _recon.recheck_sql(v_check))
            INTO v_map USING v_keys;
            v_pre := v_pre || jsonb_build_object(v_check.name, COALESCE(v_map, '{}'));
        END LOOP;
        -- A payment posted or a duplicate reversed moves the stored balance only by what it
        -- does not hold already. The wallet tells, as it is now under the lock, whatever the
        -- checks or their tolerance say: its stored balance less what all its ledgers add up
        -- to. A drift of exactly what this plan posts on that column: the stored balance holds
        -- it all; none: it holds none of it; anything else settled by a resync of the same
        -- wallet and column in the plan (stored := ledger after the postings); otherwise the
        -- wallet cannot be read, and is left alone.
        FOR v_ws IN SELECT w.* FROM _recon.wallet_source AS w
                    WHERE w.name IN (SELECT s.wallet_source FROM _recon.fix_stage AS s
                                     WHERE s.stage_id = p_stage AND s.status = 'planned'
                                       AND s.strategy IN ('post_missing', 'reverse', 'resolve'))
                    ORDER BY w.name LOOP
            v_map := _recon.fix_measure(
                v_ws.name,
                ARRAY(SELECT DISTINCT s.wallet_key FROM _recon.fix_stage AS s
                      WHERE s.stage_id = p_stage AND s.status = 'planned'
                        AND s.wallet_source = v_ws.name
                        AND s.strategy IN ('post_missing', 'reverse', 'resolve')),
                ARRAY(SELECT l.name FROM _recon.ledger_source AS l
                      WHERE l.wallet_source = v_ws.name));
            -- {wallet: {column: stored less the sum of its ledgers}}; a running balance
            -- posted for these wallets (_recon.fix_post) continues from it too
            v_drift := v_drift || jsonb_build_object(v_ws.name, COALESCE((
                SELECT jsonb_object_agg(m.key, (
                    SELECT jsonb_object_agg(st.key, st.value::numeric - COALESCE((
                        SELECT sum((l.value ->> st.key)::numeric)
                        FROM jsonb_each(m.value -> 'ledger') AS l), 0))
                    FROM jsonb_each_text(m.value -> 'stored') AS st))
                FROM jsonb_each(v_map) AS m), '{}'));
            UPDATE _recon.fix_stage AS s
            SET moves = d.moves,
                status = CASE WHEN d.unknown IS NOT NULL THEN 'skipped' ELSE s.status END,
                note = COALESCE(d.unknown, s.note),
                evidence = COALESCE(s.evidence, '{}') || d.evidence
            FROM (
                SELECT y.step,
                       COALESCE(jsonb_object_agg(y.col, y.delta)
                                    FILTER (WHERE y.verdict <> 'holds'), '{}') AS moves,
                       min(format('cannot tell whether the stored balance holds it: %s drifts '
                                  || 'by %s from the ledger, this plan posts %s on it', y.col,
                                  y.drift, y.posted)) FILTER (WHERE y.verdict = 'unknown')
                           AS unknown,
                       jsonb_object_agg(y.col, jsonb_build_object(
                           'stored_holds', CASE y.verdict WHEN 'holds' THEN 'all'
                                                          WHEN 'none' THEN 'none'
                                                          WHEN 'settled' THEN 'settled by resync'
                                                          ELSE 'unknown' END,
                           'wallet_drift', y.drift, 'posted', y.posted)) AS evidence
                FROM (
                    SELECT z.*,
                           CASE WHEN z.drift = z.posted THEN 'holds'
                                WHEN z.drift = 0 THEN 'none'
                                WHEN z.resync THEN 'settled'
                                ELSE 'unknown' END AS verdict
                    FROM (
                        SELECT x.step, x.col, x.delta,
                               (v_drift -> v_ws.name -> x.wallet_key ->> x.col)::numeric
                                   AS drift,
                               sum(x.delta) OVER (PARTITION BY x.wallet_key, x.col) AS posted,
                               EXISTS (SELECT FROM _recon.fix_stage AS r
                                       JOIN _recon.finding AS f ON f.id = r.finding_id
                                       WHERE r.stage_id = p_stage AND r.status = 'planned'
                                         AND r.strategy = 'resync'
                                         AND r.wallet_source = v_ws.name
                                         AND r.wallet_key = x.wallet_key
                                         AND f.details ->> 'column' = x.col) AS resync
                        FROM (
                            SELECT s.step, s.wallet_key, d.key AS col,
                                   sum(d.value::numeric) AS delta
                            FROM _recon.fix_stage AS s,
                                 jsonb_array_elements(s.postings) AS e,
                                 jsonb_each_text(e.value -> 'deltas') AS d
                            WHERE s.stage_id = p_stage AND s.status = 'planned'
                              AND s.wallet_source = v_ws.name
                              AND s.strategy IN ('post_missing', 'reverse', 'resolve')
                            GROUP BY s.step, s.wallet_key, d.key
                        ) AS x
                    ) AS z
                ) AS y
                GROUP BY y.step
            ) AS d
            WHERE s.stage_id = p_stage AND s.step = d.step;
        END LOOP;
        UPDATE _recon.fix_stage AS s
        SET status = 'skipped',
            note = CASE WHEN NOT COALESCE(v_pre -> s.check_name, '{}') ? s.finding_key
                        THEN 'already consistent: no longer found under the lock'
                        ELSE format('changed since the run: difference was %s, is now %s',
                                    s.difference, v_pre -> s.check_name ->> s.finding_key) END
        WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered')
          AND s.strategy <> 'reversal'
          AND (NOT COALESCE(v_pre -> s.check_name, '{}') ? s.finding_key
               OR (v_pre -> s.check_name ->> s.finding_key)::numeric
                  IS DISTINCT FROM s.difference);
    END;

    -- 3. Applied before (this plan twice, or another operator): the unique repair key says so.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', repair_id = r.id,
        note = format('already applied: repair %s (fix %s, ticket %s)', r.id, r.fix_id, r.ticket)
    FROM _recon.repair AS r
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered')
      AND r.repair_key = s.repair_key;

    -- 4. Limits, per wallet and per call, in each step's currency (its wallet's currency
    --    column, else its finding's or check's currency): the call's, else the check's policy,
    --    else its low_limit per wallet and ten times that per call. Each is a map per currency,
    --    its "*" used only where given, and each step says which it used (evidence "limits":
    --    the CLI names every currency limited by a "*").
    --    A currency with no limit is not repaired automatically. A wallet's repairs are all
    --    applied or none.
    FOR v_ws IN SELECT w.* FROM _recon.wallet_source AS w
                WHERE w.name IN (SELECT s.wallet_source FROM _recon.fix_stage AS s
                                 WHERE s.stage_id = p_stage)
                  AND w.currency_column IS NOT NULL
                ORDER BY w.name LOOP
        v_map := _recon.fix_measure(v_ws.name,
                                    ARRAY(SELECT jsonb_object_keys(v_stored -> v_ws.name)), '{}');
        v_currency := v_currency || jsonb_build_object(v_ws.name, COALESCE((
            SELECT jsonb_object_agg(m.key, m.value -> 'currency') FROM jsonb_each(v_map) AS m),
            '{}'));
    END LOOP;
    UPDATE _recon.fix_stage AS s
    SET currency = COALESCE(v_currency -> s.wallet_source ->> s.wallet_key, f.currency,
                            c.currency)
    FROM _recon.fix_stage AS s0
    LEFT JOIN _recon.check_def AS c ON c.name = s0.check_name
    LEFT JOIN _recon.finding AS f ON f.id = s0.finding_id
    WHERE s.stage_id = p_stage AND s0.stage_id = p_stage AND s0.step = s.step;
    UPDATE _recon.fix_stage AS s
    SET evidence = COALESCE(s.evidence, '{}') || jsonb_build_object('limits', jsonb_strip_nulls(
            jsonb_build_object('currency', s.currency, 'wallet_limit', t.wallet_limit,
                               'wallet_limit_from', t.wallet_from, 'run_limit', t.run_limit,
                               'run_limit_from', t.run_from)))
    FROM (
        SELECT x.step, wl.amount AS wallet_limit, wl.source AS wallet_from,
               COALESCE(rl.amount, 10 * wl.amount) AS run_limit,
               COALESCE(rl.source, CASE WHEN wl.amount IS NOT NULL
                                        THEN format('10 x wallet_limit (%s)', wl.source) END)
                   AS run_from
        FROM _recon.fix_stage AS x
        JOIN _recon.check_def AS c ON c.name = x.check_name
        LEFT JOIN _recon.fix_policy AS p ON p.check_name = x.check_name
        LEFT JOIN LATERAL (
            SELECT v.amount::numeric AS amount, v.source
            FROM (VALUES (1, p_wallet_limit ->> x.currency, 'the call''s wallet_limit'),
                         (2, p_wallet_limit ->> '*', 'the call''s "*" wallet_limit'),
                         (3, p.wallet_limit ->> x.currency, 'the policy''s wallet_limit'),
                         (4, p.wallet_limit ->> '*', 'the policy''s "*" wallet_limit'),
                         (5, c.low_limit ->> x.currency, 'the check''s low_limit'),
                         (6, c.low_limit ->> '*', 'the check''s "*" low_limit'))
                 AS v (o, amount, source)
            WHERE v.amount IS NOT NULL ORDER BY v.o LIMIT 1
        ) AS wl ON TRUE
        LEFT JOIN LATERAL (
            SELECT v.amount::numeric AS amount, v.source
            FROM (VALUES (1, p_run_limit ->> x.currency, 'the call''s run_limit'),
                         (2, p_run_limit ->> '*', 'the call''s "*" run_limit'),
                         (3, p.run_limit ->> x.currency, 'the policy''s run_limit'),
                         (4, p.run_limit ->> '*', 'the policy''s "*" run_limit'))
                 AS v (o, amount, source)
            WHERE v.amount IS NOT NULL ORDER BY v.o LIMIT 1
        ) AS rl ON TRUE
        WHERE x.stage_id = p_stage AND x.status = 'planned'
          AND x.strategy NOT IN ('acknowledge', 'reversal') AND x.wallet_key IS NOT NULL
    ) AS t
    WHERE s.stage_id = p_stage AND s.step = t.step;
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = CASE WHEN t.lim IS NULL THEN format(
                   'above the auto-fix limit: no wallet_limit for %s (none given for it, no "*" '
                   || 'and no low_limit): not repaired automatically', COALESCE(
                       t.currency, 'an unknown currency (only a "*" limit applies)'))
                    ELSE format('above the auto-fix limit: %s > wallet_limit %s%s (%s; run_limit '
                                || '%s applies to the whole call)', t.total, t.lim,
                                COALESCE(' ' || t.currency, ''), t.lim_from, t.run_lim) END
    FROM (
        SELECT x.check_name, x.wallet_source, x.wallet_key, x.currency, sum(x.amount) AS total,
               max((x.evidence -> 'limits' ->> 'wallet_limit')::numeric) AS lim,
               max(x.evidence -> 'limits' ->> 'wallet_limit_from') AS lim_from,
               max((x.evidence -> 'limits' ->> 'run_limit')::numeric) AS run_lim
        FROM _recon.fix_stage AS x
        WHERE x.stage_id = p_stage AND x.status = 'planned'
          AND x.strategy NOT IN ('acknowledge', 'reversal') AND x.wallet_key IS NOT NULL
        GROUP BY 1, 2, 3, 4
    ) AS t
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.check_name = t.check_name
      AND s.currency IS NOT DISTINCT FROM t.currency
      -- plain equality, not IS NOT DISTINCT FROM (a nested loop over thousands of steps): a
      -- limited step always has a wallet
      AND s.wallet_source = t.wallet_source AND s.wallet_key = t.wallet_key
      AND (t.lim IS NULL OR t.total > t.lim);
    PERFORM _recon.fix_all_or_nothing(p_stage, v_blocking);

    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', note = format('would overdraw %s: %s -> %s', o.col, o.before, o.after)
    FROM (
        SELECT DISTINCT ON (x.wallet_source, x.wallet_key)
               x.wallet_source, x.wallet_key, x.col, x.before, x.before + x.moved AS after
        FROM (
            SELECT s.wallet_source, s.wallet_key, m.key AS col,
                   (max(s.stored_before ->> m.key))::numeric AS before,
                   sum(m.value::numeric) AS moved
            FROM _recon.fix_stage AS s, jsonb_each_text(s.moves) AS m
            WHERE s.stage_id = p_stage AND s.status = 'planned'
            GROUP BY 1, 2, 3
        ) AS x
        WHERE x.before + x.moved < 0 AND x.moved < 0
          -- unless the owner lets that wallet or column go negative (recon.allow_overdraft)
          AND NOT EXISTS (SELECT FROM _recon.overdraft_exemption AS e
                          WHERE e.wallet_source = x.wallet_source
                            AND (e.wallet_key IS NULL OR e.wallet_key = x.wallet_key)
                            AND (e.balance_column IS NULL OR e.balance_column = x.col))
        ORDER BY x.wallet_source, x.wallet_key, x.col
    ) AS o
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_source = o.wallet_source
      AND s.wallet_key = o.wallet_key;
    PERFORM _recon.fix_all_or_nothing(p_stage, v_blocking);

    -- What an exemption let through is on the record: the step's evidence names the column,
    -- where it ends and the exemption's reason.
    UPDATE _recon.fix_stage AS s
    SET evidence = COALESCE(s.evidence, '{}') || jsonb_build_object('overdraft', o.allowed)
    FROM (
        SELECT x.wallet_source, x.wallet_key, jsonb_object_agg(x.col, jsonb_build_object(
                   'before', x.before, 'after', x.before + x.moved, 'exemption', (
                       SELECT jsonb_build_object('id', e.id, 'reason', e.reason)
                       FROM _recon.overdraft_exemption AS e
                       WHERE e.wallet_source = x.wallet_source
                         AND (e.wallet_key IS NULL OR e.wallet_key = x.wallet_key)
                         AND (e.balance_column IS NULL OR e.balance_column = x.col)
                       -- the narrowest scope first
                       ORDER BY e.wallet_key IS NULL, e.balance_column IS NULL, e.id
                       LIMIT 1))) AS allowed
        FROM (
            SELECT y.wallet_source, y.wallet_key, m.key AS col,
                   (max(y.stored_before ->> m.key))::numeric AS before,
                   sum(m.value::numeric) AS moved
            FROM _recon.fix_stage AS y, jsonb_each_text(y.moves) AS m
            WHERE y.stage_id = p_stage AND y.status = 'planned'
            GROUP BY 1, 2, 3
        ) AS x
        WHERE x.before + x.moved < 0 AND x.moved < 0
        GROUP BY 1, 2
    ) AS o
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_source = o.wallet_source
      AND s.wallet_key = o.wallet_key AND s.moves <> '{}';

    -- A repair your columns cannot hold (a balance or an amount beyond numeric(14,2), a third
    -- decimal, a fraction of an integer) would fail or be rounded: not applied. An amount is
    -- taken as the size of its delta (what a signed or direction ledger posts, and an operation
    -- ledger with multipliers of 1).
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', note = o.note
    FROM (
        SELECT DISTINCT ON (x.wallet_source, x.wallet_key) x.wallet_source, x.wallet_key,
               x.note
        FROM (
            SELECT b.wallet_source, b.wallet_key, b.step,
                   format('would not fit %s (%s): %s -> %s', b.col,
                          _recon.column_type_sql(w.relid, b.col), b.before,
                          b.before + b.moved) AS note
            FROM (
                SELECT y.wallet_source, y.wallet_key, m.key AS col, min(y.step) AS step,
                       (max(y.stored_before ->> m.key))::numeric AS before,
                       sum(m.value::numeric) AS moved
                FROM _recon.fix_stage AS y, jsonb_each_text(y.moves) AS m
                WHERE y.stage_id = p_stage AND y.status = 'planned'
                GROUP BY 1, 2, 3
            ) AS b
            JOIN _recon.wallet_source AS w ON w.name = b.wallet_source
            WHERE NOT _recon.column_holds(w.relid, b.col, b.before + b.moved)
            UNION ALL
            SELECT y.wallet_source, y.wallet_key, y.step,
                   format('would not fit %s of %s (%s): an entry of %s', l.amount_column,
                          l.relid::regclass, _recon.column_type_sql(l.relid, l.amount_column),
                          abs(d.value::numeric))
            FROM _recon.fix_stage AS y
            JOIN _recon.ledger_source AS l ON l.name = y.ledger_source
            CROSS JOIN LATERAL jsonb_array_elements(y.postings) AS e
            CROSS JOIN LATERAL jsonb_each_text(e.value -> 'deltas') AS d
            WHERE y.stage_id = p_stage AND y.status = 'planned'
              AND NOT _recon.column_holds(l.relid, l.amount_column, abs(d.value::numeric))
        ) AS x
        WHERE x.wallet_key IS NOT NULL
        ORDER BY x.wallet_source, x.wallet_key, x.step
    ) AS o
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_source = o.wallet_source
      AND s.wallet_key = o.wallet_key;
    PERFORM _recon.fix_all_or_nothing(p_stage, v_blocking);

    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = format('over the run limit: %s > run_limit %s%s for check %s (%s)', t.running,
                      t.lim, COALESCE(' ' || t.currency, ''), t.check_name, t.lim_from)
    FROM (
        SELECT w.*, sum(w.total) OVER (PARTITION BY w.check_name, w.currency
                                       ORDER BY w.first_step) AS running
        FROM (
            SELECT x.check_name, x.wallet_source, x.wallet_key, x.currency,
                   min(x.step) AS first_step, sum(x.amount) AS total,
                   max((x.evidence -> 'limits' ->> 'run_limit')::numeric) AS lim,
                   max(x.evidence -> 'limits' ->> 'run_limit_from') AS lim_from
            FROM _recon.fix_stage AS x
            WHERE x.stage_id = p_stage AND x.status = 'planned'
              AND x.strategy NOT IN ('acknowledge', 'reversal') AND x.wallet_key IS NOT NULL
            GROUP BY 1, 2, 3, 4
        ) AS w
    ) AS t
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.check_name = t.check_name
      AND s.wallet_source = t.wallet_source AND s.wallet_key = t.wallet_key
      AND t.running > t.lim;
    PERFORM _recon.fix_all_or_nothing(p_stage, v_blocking);

    -- 5. Each step's stored balances before and after it, in step order within the wallet.
    UPDATE _recon.fix_stage AS s
    SET stored_before = y.before, stored_after = y.after
    FROM (
        SELECT c.step, jsonb_object_agg(c.col, c.before) AS before,
               jsonb_object_agg(c.col, c.after) AS after
        FROM (
            SELECT m.step, m.col, m.b0 + sum(m.d) OVER w - m.d AS before,
                   m.b0 + sum(m.d) OVER w AS after
            FROM (
                SELECT s.step, s.wallet_source, s.wallet_key, k.col,
                       (s.stored_before ->> k.col)::numeric AS b0,
                       CASE WHEN s.status IN ('planned', 'covered')
                            THEN COALESCE((s.moves ->> k.col)::numeric, 0) ELSE 0 END AS d
                FROM _recon.fix_stage AS s
                CROSS JOIN LATERAL jsonb_object_keys(s.stored_before) AS k (col)
                WHERE s.stage_id = p_stage
            ) AS m
            WINDOW w AS (PARTITION BY m.wallet_source, m.wallet_key, m.col ORDER BY m.step)
        ) AS c
        GROUP BY c.step
    ) AS y
    WHERE s.stage_id = p_stage AND s.step = y.step;

    -- 6. What each step changes, in its currency (step 4): the stored balances (the wallet's,
    --    and the offset wallet's of a double-entry posting) and the ledger's effects (both
    --    sides), per column. recon.fix() checks after applying that each currency's totals moved by
    --    exactly these (_recon.fix_conserve).
    UPDATE _recon.fix_stage AS s
    SET stored_change = COALESCE((
            SELECT jsonb_object_agg(m.col, m.total) FROM (
                SELECT x.key AS col, sum(x.value::numeric) AS total
                FROM (SELECT d.key, d.value FROM jsonb_each_text(
                          CASE WHEN s.status IN ('planned', 'covered', 'applied') THEN s.moves
                               ELSE '{}' END) AS d
                      UNION ALL
                      SELECT d.key, d.value
                      FROM jsonb_array_elements(s.postings) AS e,
                           jsonb_each_text(_recon.fix_offset_deltas(e.value)) AS d
                      WHERE s.status IN ('planned', 'applied')
                        AND CASE WHEN e.value ? 'offset_wallet' THEN e.value ->> 'offset_wallet'
                                 ELSE w.offset_wallet END IS NOT NULL) AS x
                GROUP BY x.key) AS m WHERE m.total <> 0), '{}'),
        ledger_change = COALESCE((
            SELECT jsonb_object_agg(m.col, m.total) FROM (
                SELECT x.key AS col, sum(x.value::numeric) AS total
                FROM (SELECT d.key, d.value
                      FROM jsonb_array_elements(s.postings) AS e,
                           jsonb_each_text(e.value -> 'deltas') AS d
                      WHERE s.status IN ('planned', 'applied')
                      UNION ALL  -- the offset wallet's side: its own entry, or the row's leg
                      SELECT d.key, d.value
                      FROM jsonb_array_elements(s.postings) AS e,
                           jsonb_each_text(_recon.fix_offset_deltas(e.value)) AS d
                      WHERE s.status IN ('planned', 'applied')
                        AND CASE WHEN e.value ? 'offset_wallet' THEN e.value ->> 'offset_wallet'
                                 ELSE w.offset_wallet END IS NOT NULL) AS x
                GROUP BY x.key) AS m), '{}')
    FROM _recon.fix_stage AS s0
    LEFT JOIN _recon.writer AS w ON w.ledger_source = s0.ledger_source
    WHERE s.stage_id = p_stage AND s0.stage_id = p_stage AND s0.step = s.step;
    RETURN jsonb_build_object('checks', v_pre, 'currency', v_currency, 'drift', v_drift, 'keys', (
        -- a source with no wallet in the plan (e.g. only a journal finding): [], not null
        SELECT COALESCE(jsonb_object_agg(k.key, (SELECT COALESCE(jsonb_agg(x), '[]'::jsonb)
                                                 FROM jsonb_object_keys(k.value) AS x)), '{}')
        FROM jsonb_each(v_stored) AS k));
END;
$body$;

COMMENT ON FUNCTION _recon.fix_assess(bigint, jsonb, jsonb, boolean) IS
'Reads a staged plan''s wallets (p_lock: locks them FOR UPDATE, by source name then '
'key), re-runs its checks for those wallets under the lock and skips what is gone or changed, '
'skips what was applied before (repair key), what is over the per-wallet or per-call limit '
'of its currency (p_wallet_limit, p_run_limit: the call''s maps per currency, else the '
'policy''s, else the check''s low_limit; no limit for a currency: no automatic repair), '
'would overdraw (unless recon.allow_overdraft() exempts the wallet or column: the step''s '
'evidence "overdraft" says so), or would not fit your balance or amount columns '
'(numeric(14,2) and 1e12, a '
'third decimal), all of a wallet''s steps together; fills stored balances before and after each '
'step. Returns {"checks": {check: {finding key: difference}} found under the lock, "keys": '
'{wallet source: [wallet keys read or locked]}}.';

REVOKE EXECUTE ON FUNCTION _recon.fix_assess(bigint, jsonb, jsonb, boolean) FROM PUBLIC;
