-- _recon.fix_plan(): one step per open finding to repair, staged under p_stage.
CREATE OR REPLACE FUNCTION _recon.fix_plan(
    p_stage bigint, p_run bigint, p_checks text[], p_wallets text[], p_findings bigint[],
    p_strategy text
)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- the stage's statistics are whatever the last ANALYZE saw (another call's plan, or none):
-- joins over it are hashed, never nested loops over thousands of steps
SET enable_nestloop = off
AS $body$
DECLARE
    v_steps integer;
    v_check _recon.check_def;
    v_ledger _recon.ledger_source;
    v_wallet _recon.wallet_source;
    v_effects text;
    -- ledgers the repairs cannot read yet (_recon.ledger_writer_refusal: a row shape of one's
    -- own), and their wallet sources; transfer ledgers, whose duplicates are reversed by hand:
    -- found once, not per finding
    v_odd_ledgers text[] := ARRAY(SELECT l.name FROM _recon.ledger_source AS l
                                  WHERE _recon.ledger_writer_refusal(l, NULL) IS NOT NULL);
    v_odd_wallets text[] := ARRAY(SELECT l.wallet_source FROM _recon.ledger_source AS l
                                  WHERE _recon.ledger_writer_refusal(l, NULL) IS NOT NULL);
    v_transfers text[] := ARRAY(SELECT l.name FROM _recon.ledger_source AS l
                                WHERE l.shape = 'transfer');
BEGIN
    -- 1. The findings, each with its repair: what it posts into the ledger (postings: wallet,
    --    deltas per balance column, purpose) and what it adds to the stored balances (moves).
    INSERT INTO _recon.fix_stage (
        stage_id, step, finding_id, check_name, kind, finding_key, wallet_source, wallet_key,
        ledger_source, strategy, difference, amount, postings, moves, status, note, repair_key
    )
    SELECT p_stage,
           row_number() OVER (ORDER BY x.wallet_source, x.wallet_key NULLS LAST,
                              array_position(ARRAY['duplicate', 'orphan', 'balance', 'derived'],
                                             x.kind) NULLS LAST, x.check_name, x.finding_key),
           x.id, x.check_name, x.kind, x.finding_key, x.wallet_source, x.wallet_key,
           CASE WHEN x.strategy IN ('adjust', 'post_missing', 'reverse', 'move', 'resolve')
                THEN x.ledger END,
           x.strategy, x.difference,
           CASE WHEN x.strategy = 'post_missing' THEN abs(x.expected) ELSE abs(x.difference) END,
           CASE WHEN x.manual IS NOT NULL THEN '[]'::jsonb
                WHEN x.strategy = 'adjust' THEN jsonb_build_array(jsonb_build_object(
                    'wallet', x.wallet_key, 'deltas', jsonb_build_object(x.col, x.difference),
                    'purpose', 'adjustment'))
                WHEN x.strategy = 'post_missing' THEN jsonb_build_array(jsonb_build_object(
                    'wallet', x.wallet_key, 'deltas', jsonb_build_object(x.col, x.expected),
                    'purpose', 'missing', 'source_id', x.details ->> 'source_id',
                    'reference', x.details ->> 'source_id'))
                WHEN x.strategy = 'move' AND x.ledger IS NOT NULL THEN jsonb_build_array(
                    jsonb_build_object('wallet', x.wallet_key, 'purpose', 'move', 'deltas',
                                       jsonb_build_object(x.col, -x.difference,
                                                          x.other, x.difference)))
                ELSE '[]'::jsonb END,
           CASE WHEN x.manual IS NOT NULL THEN '{}'::jsonb
                WHEN x.strategy = 'resync' THEN jsonb_build_object(x.col, -x.difference)
                WHEN x.strategy = 'post_missing' THEN jsonb_build_object(x.col, x.expected)
                WHEN x.strategy = 'move' THEN jsonb_build_object(x.col, -x.difference,
                                                                 x.other, x.difference)
                ELSE '{}'::jsonb END,
           CASE WHEN x.manual IS NOT NULL THEN 'manual' ELSE 'planned' END,
           x.manual,
           -- The same repair: the same finding as the same run last saw it, not undone since.
           -- A finding seen again by a later run (it drifted again) is a new repair; two calls
           -- on one plan, or one call twice, are the same.
           format('finding:%s:%s:%s', x.id, x.last_seen_run, (
               SELECT count(*) FROM _recon.repair AS r
               WHERE r.finding_id = x.id
                 AND EXISTS (SELECT FROM _recon.repair AS v WHERE v.reverses = r.id)))
    FROM (
        SELECT f.id, f.check_name, c.kind, f.finding_key, f.wallet_key, f.difference, f.expected,
               f.details, f.last_seen_run, c.wallet_source, s.strategy, s.col, s.other, s.ledger,
               CASE
                   WHEN s.strategy = 'none' AND c.kind = 'coverage' THEN format(
                       'missing wallets are created by SELECT recon.backfill(%L)', f.check_name)
                   WHEN s.strategy = 'none' AND c.kind = 'total' THEN
                       'a total is repaired through its parts (missing wallets, balances)'
                   WHEN s.strategy = 'none' THEN format(
                       'no automatic repair for %s findings: repair by hand, or acknowledge '
                       || 'with recon.set_fix_policy(%L, ''{"strategy": "acknowledge"}'')',
                       c.kind, f.check_name)
                   WHEN s.strategy <> ALL (st.allowed) THEN format(
                       'strategy %s does not repair %s findings', s.strategy, c.kind)
                   WHEN s.strategy = 'acknowledge' THEN NULL
                   -- repairs read the ledger's legs (measures, evidence, conservation) and
                   -- write through its writer: one-sided and transfer rows, of any filters,
                   -- parents, effect rules and running balances; a duplicated transfer row is
                   -- not reversed automatically yet
                   WHEN jsonb_typeof(c.options -> 'ledger') = 'array' THEN
                       'a check summing several ledgers is repaired by hand so far, or '
                       || 'acknowledged'
                   WHEN c.ledger_source = ANY (v_odd_ledgers) OR s.ledger = ANY (v_odd_ledgers)
                       OR c.wallet_source = ANY (v_odd_wallets)
                       OR (s.strategy = 'reverse' AND (c.ledger_source = ANY (v_transfers)
                                                       OR s.ledger = ANY (v_transfers))) THEN (
                       SELECT format('ledger %s is of a shape repairs do not read (%s): repairs '
                                     || 'on it are by hand so far, or acknowledged', l.name,
                                     COALESCE(_recon.ledger_writer_refusal(l, NULL),
                                              'a duplicated transfer row is reversed by hand'))
                       FROM _recon.ledger_source AS l
                       WHERE (l.name IN (c.ledger_source, s.ledger)
                              OR l.wallet_source = c.wallet_source)
                         AND (_recon.ledger_writer_refusal(l, NULL) IS NOT NULL
                              OR (l.shape = 'transfer' AND s.strategy = 'reverse'))
                       ORDER BY l.name LIMIT 1)
                   WHEN f.wallet_key IS NULL THEN 'no wallet to repair: needs a human'
                   WHEN f.cause IN ('invalid_balance', 'invalid_amount', 'unknown_wallet',
                                    'unmapped_entry_type') THEN format(
                       'broken data (%s) needs a human', f.cause)
                   WHEN f.difference IS NULL OR f.difference IN ('NaN', 'Infinity', '-Infinity')
                       OR f.expected IN ('NaN', 'Infinity', '-Infinity')
                       THEN 'no finite difference to repair'
                   WHEN s.col IS NULL THEN 'no balance column to repair'
                   WHEN s.strategy = 'move' AND s.other IS NULL THEN format(
                       'no column to move %s to: set "from_column" with recon.set_fix_policy()',
                       s.col)
                   WHEN s.strategy = 'reverse' AND (f.details ->> 'wallets')::integer > 1
                       THEN 'a reference posted on several wallets: which posting is the '
                            || 'duplicate needs a human'
                   -- the reversal is recorded (_recon.reversal), whatever the reference column
                   -- holds; but a compensating entry on a ledger with a lifecycle check is a
                   -- hold transition of its own there (a RELEASE reversed by an ON_HOLD opens a
                   -- hold nothing resolves)
                   WHEN s.strategy = 'reverse' AND EXISTS (
                       SELECT FROM _recon.check_def AS h
                       WHERE h.kind = 'lifecycle' AND h.enabled
                         AND h.ledger_source = c.ledger_source)
                       THEN format('ledger %s has a lifecycle check: a compensating entry would '
                                   || 'count there as a hold transition; reverse it by hand, or '
                                   || 'acknowledge', c.ledger_source)
               END AS manual
        FROM _recon.finding AS f
        JOIN _recon.check_def AS c ON c.name = f.check_name
        LEFT JOIN _recon.fix_policy AS p ON p.check_name = c.name
        LEFT JOIN _recon.wallet_source AS w ON w.name = c.wallet_source
        -- the strategies of each kind, once per kind rather than per finding (OFFSET 0 keeps
        -- the planner from pulling the call up into every reference of every finding's row)
        INNER JOIN (SELECT k.kind, _recon.fix_strategies(k.kind) AS allowed
                    FROM (SELECT DISTINCT d.kind FROM _recon.check_def AS d) AS k
                    OFFSET 0) AS st
            ON st.kind = c.kind
        CROSS JOIN LATERAL (
            SELECT COALESCE(p_strategy, p.strategy, (st.allowed)[1]) AS strategy,
                   CASE WHEN c.kind IN ('balance', 'derived') THEN f.details ->> 'column'
                        ELSE COALESCE(p.options ->> 'column', (
                            SELECT b FROM _recon.ledger_source AS l, unnest(w.balance_columns) AS b
                            WHERE l.name = c.ledger_source AND l.effects ? b LIMIT 1)) END AS col
        ) AS s0
        CROSS JOIN LATERAL (
            SELECT s0.strategy, s0.col,
                   COALESCE(p.options ->> 'from_column', (
                       SELECT b FROM unnest(w.balance_columns) AS b
                       WHERE b <> s0.col AND cardinality(w.balance_columns) = 2)) AS other,
                   COALESCE(c.ledger_source, (
                       SELECT l.name FROM _recon.ledger_source AS l
                       WHERE l.wallet_source = c.wallet_source AND l.effects ? s0.col
                       ORDER BY l.name LIMIT 1)) AS ledger
        ) AS s
        WHERE f.resolved_run IS NULL AND f.dropped_at IS NULL
          AND (p_run IS NULL OR EXISTS (SELECT FROM _recon.observation AS o
                                        WHERE o.run_id = p_run AND o.finding_id = f.id))
          AND (p_checks IS NULL OR f.check_name = ANY (p_checks))
          AND (p_wallets IS NULL OR f.wallet_key = ANY (p_wallets))
          AND (p_findings IS NULL OR f.id = ANY (p_findings))
          -- acknowledged as it is now: nothing left to do, and never acknowledged twice
          AND NOT EXISTS (SELECT FROM _recon.repair AS r
                          WHERE r.finding_id = f.id AND r.strategy = 'acknowledge'
                            AND r.difference IS NOT DISTINCT FROM f.difference
                            AND NOT EXISTS (SELECT FROM _recon.repair AS v
                                            WHERE v.reverses = r.id))
    ) AS x;
    GET DIAGNOSTICS v_steps = ROW_COUNT;

    -- 2. A duplicate is reversed entry by entry: every posting after the first, each by its
    --    own compensating entry, read from the ledger for its effects. The toolkit records the
    --    reversal (_recon.reversal); the entry is referenced REV-<entry> where the reference
    --    column can hold it, else by the writer's reference template.
    FOR v_check IN SELECT DISTINCT c.* FROM _recon.check_def AS c
                   JOIN _recon.fix_stage AS s ON s.check_name = c.name
                   WHERE s.stage_id = p_stage AND s.kind = 'duplicate' AND s.status = 'planned'
                     AND s.strategy = 'reverse'
    LOOP
        v_ledger := _recon.ledger(v_check.ledger_source);
        v_wallet := _recon.wallet(v_ledger.wallet_source);
        SELECT string_agg(format('%L, -(%s)', b, _recon.effect_sql(_recon.legs(v_ledger), b,
                                                                    'l')), ', ')
        INTO v_effects
        FROM unnest(v_wallet.balance_columns) AS b WHERE v_ledger.effects ? b;
        EXECUTE format($q$
            UPDATE _recon.fix_stage AS s
            SET postings = y.postings, moves = y.moves
            FROM (
                SELECT e.step,
                       jsonb_agg(jsonb_build_object(
                           'wallet', e.wallet_key, 'deltas', e.deltas, 'purpose', 'reversal',
                           'entry', e.entry) || jsonb_strip_nulls(jsonb_build_object(
                               'reference', _recon.reversal_reference($3, e.entry)))
                           ORDER BY e.n) AS postings,
                       (SELECT jsonb_object_agg(d.key, d.total) FROM (
                            SELECT m.key, sum(m.value::numeric) AS total
                            FROM jsonb_array_elements(jsonb_agg(e.deltas)) AS a (v),
                                 jsonb_each_text(a.v) AS m
                            GROUP BY m.key) AS d) AS moves
                FROM (
                    SELECT s.step, s.wallet_key, x.entry, x.n, jsonb_build_object(%1$s) AS deltas
                    FROM _recon.fix_stage AS s
                    JOIN _recon.finding AS f ON f.id = s.finding_id
                    -- a duplicate finding's entries are an array; other findings' "entries"
                    -- (a balance finding's count) must never reach the function, whatever
                    -- order the planner joins in
                    CROSS JOIN LATERAL jsonb_array_elements_text(
                        CASE WHEN jsonb_typeof(f.details -> 'entries') = 'array'
                             THEN f.details -> 'entries' END)
                        WITH ORDINALITY AS x (entry, n)
                    JOIN %2$s AS l ON (%3$s)::text = x.entry AND l.wallet::text = s.wallet_key
                    WHERE s.stage_id = $1 AND s.check_name = $2 AND s.status = 'planned'
                      AND s.strategy = 'reverse' AND x.n > 1
                ) AS e
                GROUP BY e.step
            ) AS y
            WHERE s.stage_id = $1 AND s.step = y.step$q$,
            v_effects, _recon.legs_sql(v_ledger),
            _recon.entry_name_sql(_recon.legs(v_ledger), 'l'))
        USING p_stage, v_check.name, v_ledger.name;
    END LOOP;

    -- 2a. A hold a lifecycle finding shows left open or resolved twice: the entries that
    --     resolve it, read from the transaction's status and entries (_recon.fix_lifecycle).
    PERFORM _recon.fix_lifecycle(p_stage, FALSE);
    --     A wallet's adjustments of several columns (balance and its counters) as one posting,
    --     and the offset leg of each transfer row as its rule moves it (_recon.fix_counters).
    PERFORM _recon.fix_counters(p_stage);

    -- 2b. A row an INSERT writer could not post with exactly the step's effect (effects keyed
    --     on several columns): a person decides. Before anything counts on it as a cover.
    PERFORM _recon.fix_unpostable(p_stage);

    -- 3. A balance finding is covered by the payments posted and duplicates reversed on its
    --    wallet in the same plan when they move its column by exactly its drift (two equal
    --    missing payments as well as one); a derived finding by the repair of the orphan or
    --    duplicate its shown cause names.
    UPDATE _recon.fix_stage AS s
    SET status = 'covered', covered_by = o.first_step, moves = '{}',
        note = format('repaired by step%s %s (%s)', CASE WHEN o.n > 1 THEN 's' ELSE '' END,
                      o.steps, o.what)
    FROM (
        SELECT b.step, min(p.step) AS first_step, count(DISTINCT p.step) AS n,
               string_agg(DISTINCT p.step::text, ', ') AS steps,
               string_agg(DISTINCT format('%s of %s', p.strategy, p.check_name), ', ') AS what,
               sum((e.value -> 'deltas' ->> (b.finding_key_col))::numeric) AS moved,
               min(b.difference) AS difference
        FROM (SELECT x.*, f.details ->> 'column' AS finding_key_col
              FROM _recon.fix_stage AS x
              JOIN _recon.finding AS f ON f.id = x.finding_id
              WHERE x.stage_id = p_stage AND x.kind = 'balance' AND x.status = 'planned'
                AND x.strategy IN ('resync', 'adjust')) AS b
        JOIN _recon.fix_stage AS p ON p.stage_id = p_stage AND p.status = 'planned'
            AND p.strategy IN ('post_missing', 'reverse', 'resolve')
            AND p.wallet_source = b.wallet_source AND p.wallet_key = b.wallet_key
        CROSS JOIN LATERAL jsonb_array_elements(p.postings) AS e
        WHERE e.value -> 'deltas' ? b.finding_key_col
        GROUP BY b.step
    ) AS o
    WHERE s.stage_id = p_stage AND s.step = o.step AND o.moved = o.difference;
    UPDATE _recon.fix_stage AS s
    SET status = 'covered', covered_by = o.step, moves = '{}',
        note = format('repaired by step %s (%s of %s)', o.step, o.strategy, o.check_name)
    FROM _recon.finding AS f, _recon.fix_stage AS o
    WHERE s.stage_id = p_stage AND s.kind = 'derived' AND s.status = 'planned'
      AND f.id = s.finding_id AND f.cause IN ('orphaned_payment', 'duplicate_reference')
      AND o.stage_id = p_stage AND o.status = 'planned'
      AND o.strategy IN ('post_missing', 'reverse')
      AND o.check_name = f.details -> 'evidence' ->> 'check'
      AND o.finding_key = f.details -> 'evidence' ->> 'finding';
    -- One explained by a finding this plan does not repair is left alone: re-syncing or
    -- adjusting it would book the payment (or the duplicate) a second way, and the repair of
    -- its cause would then book it again.
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('explained by %s finding %s: repair that one (it posts the entry)',
                      f.details -> 'evidence' ->> 'check', f.details -> 'evidence' ->> 'finding')
    FROM _recon.finding AS f
    WHERE s.stage_id = p_stage AND s.kind IN ('balance', 'derived') AND s.status = 'planned'
      AND s.strategy IN ('resync', 'adjust', 'move')
      AND f.id = s.finding_id AND f.cause IN ('orphaned_payment', 'duplicate_reference');
    -- An adjustment trusts the stored balance; on a wallet whose drift is a payment (or a
    -- duplicate) this plan posts and something else, it would book that payment twice.
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('the wallet''s drift is partly explained by step %s (%s of %s): an '
                      || 'adjustment would book it twice; resync, or repair by hand',
                      p.step, p.strategy, p.check_name)
    FROM _recon.fix_stage AS p
    WHERE s.stage_id = p_stage AND s.kind = 'balance' AND s.status = 'planned'
      AND s.strategy = 'adjust'
      AND p.stage_id = p_stage AND p.status = 'planned'
      AND p.strategy IN ('post_missing', 'reverse')
      AND p.wallet_source = s.wallet_source AND p.wallet_key = s.wallet_key;

    -- 3b. What the ledger shows about each wallet to resync or adjust: a wallet whose ledger
    --     lost an entry gets it restored when the evidence gives it exactly, else is left to
    --     a person (_recon.fix_evidence).
    PERFORM _recon.fix_evidence(p_stage);

    -- 3c. A wallet with broken data (NULL, NaN, unknown, unmapped) or a lost entry left to a
    --     person is repaired whole or not at all: none of its other steps run.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = format('the wallet has a finding that needs a person first: step %s (%s)',
                      m.step, m.note)
    FROM (SELECT DISTINCT ON (x.wallet_source, x.wallet_key) x.wallet_source, x.wallet_key,
                 x.step, x.note
          FROM _recon.fix_stage AS x
          WHERE x.stage_id = p_stage AND x.status = 'manual' AND x.wallet_key IS NOT NULL
            AND (x.note LIKE 'broken data%' OR x.note LIKE 'no finite difference%'
                 OR x.evidence ->> 'verdict' IN ('lost_entry', 'inconsistent'))
          ORDER BY x.wallet_source, x.wallet_key, x.step) AS m
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered')
      AND s.wallet_source = m.wallet_source AND s.wallet_key = m.wallet_key;

    -- 4. What cannot be posted: a ledger without a writer, an effect no entry type has.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = CASE WHEN w.ledger_source IS NULL THEN format(
                        'ledger %s has no writer: register one with recon.register_writer()',
                        s.ledger_source)
                    ELSE format('no entry type of ledger %s moves %s: register one, or use '
                                || 'another strategy', s.ledger_source, (
                        SELECT p.value -> 'deltas' FROM jsonb_array_elements(s.postings) AS p
                        WHERE _recon.entry_for(l, p.value -> 'deltas', w.entry_types) IS NULL
                        LIMIT 1)) END
    FROM _recon.ledger_source AS l
    LEFT JOIN _recon.writer AS w ON w.ledger_source = l.name
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND l.name = s.ledger_source
      AND jsonb_array_length(s.postings) > 0
      AND (w.ledger_source IS NULL
           OR EXISTS (SELECT FROM jsonb_array_elements(s.postings) AS p
                      WHERE _recon.entry_for(l, p.value -> 'deltas', w.entry_types) IS NULL));
    RETURN v_steps;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_plan(bigint, bigint, text[], text[], bigint[], text) IS
'Stages recon.fix()''s plan: one step per open finding (of run p_run, checks p_checks, wallets '
'p_wallets, findings p_findings; not one acknowledged as it is), with its strategy '
'(p_strategy, else the check''s policy, else its kind''s default) chosen on the ledger''s '
'evidence (_recon.fix_evidence), the entries to post and the stored-balance moves; marks '
'balance findings other steps repair as covered, what needs a human as manual, and the other '
'steps of a wallet that needs a human as skipped.';

REVOKE EXECUTE ON FUNCTION _recon.fix_plan(bigint, bigint, text[], text[], bigint[], text)
FROM PUBLIC;
