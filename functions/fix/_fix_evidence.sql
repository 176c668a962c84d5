-- _recon.fix_evidence(): what the ledger shows about each wallet a plan would resync or adjust.
CREATE OR REPLACE FUNCTION _recon.fix_evidence(p_stage bigint)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_nestloop = off
AS $body$
DECLARE
    v_ledger _recon.ledger_source;
    v_legs _recon.ledger_source;
    v_wallet _recon.wallet_source;
    v_chain text;
    v_keys text[];
    v_key_type regtype;
    v_breaks jsonb;
    v_journals jsonb;
    v_journal_checks text[];
    v_rows integer := 0;
    v_n integer;
BEGIN
    -- Ledger by ledger: the balance steps that would set a stored balance to the ledger
    -- (resync) or the ledger to a stored balance (adjust). Either is right only when the
    -- ledger is internally consistent: its running balance unbroken, its journals balanced.
    FOR v_ledger IN SELECT DISTINCT l.* FROM _recon.fix_stage AS s
                    JOIN _recon.check_def AS c ON c.name = s.check_name
                    JOIN _recon.ledger_source AS l ON l.name = c.ledger_source
                    WHERE s.stage_id = p_stage AND s.kind = 'balance' AND s.status = 'planned'
                      AND s.strategy IN ('resync', 'adjust')
                    ORDER BY l.name LOOP
        v_wallet := _recon.wallet(v_ledger.wallet_source);
        -- the ledger's legs, as the checks count them (_recon.legs_sql), under canonical names
        v_legs := _recon.legs(v_ledger);
        v_key_type := _recon.column_type(v_wallet.relid, v_wallet.key_column);
        v_keys := ARRAY(SELECT DISTINCT s.wallet_key FROM _recon.fix_stage AS s
                        JOIN _recon.check_def AS c ON c.name = s.check_name
                        WHERE s.stage_id = p_stage AND s.kind = 'balance'
                          AND s.status = 'planned' AND s.strategy IN ('resync', 'adjust')
                          AND c.ledger_source = v_ledger.name AND s.wallet_key IS NOT NULL);
        -- The running balance follows one column (as recon.fix posts it): the chain check's,
        -- else the first the ledger moves.
        v_chain := NULL;
        v_breaks := '{}';
        IF v_ledger.balance_after_column IS NOT NULL THEN
            v_chain := COALESCE(
                (SELECT c.options ->> 'column' FROM _recon.check_def AS c
                 WHERE c.kind = 'chain' AND c.ledger_source = v_ledger.name
                 ORDER BY c.name LIMIT 1),
                (SELECT b FROM unnest(v_wallet.balance_columns) AS b
                 WHERE v_ledger.effects ? b LIMIT 1));
            -- Each wallet's breaks, in entry order: balance_after <> the previous one plus the
            -- entry's effect (from 0). A break the next entry cancels is one running balance
            -- recorded wrong; one it does not is a gap of exactly what the ledger lost there.
            EXECUTE format($q$
                SELECT COALESCE(jsonb_object_agg(z.k, z.breaks), '{}')
                FROM (
                    SELECT y.k::text AS k,
                           jsonb_agg(jsonb_build_object(
                               'entry', y.entry, 'position', y.pos, 'gap', y.diff,
                               'kind', CASE WHEN y.next_diff = -y.diff THEN 'misrecorded'
                                            ELSE 'gap' END) ORDER BY y.pos) AS breaks
                    FROM (
                        SELECT x.*, lead(x.diff) OVER w AS next_diff,
                               lag(x.diff) OVER w AS prev_diff
                        FROM (
                            SELECT l.%1$I AS k, (%2$s)::text AS entry,
                                   row_number() OVER w AS pos,
                                   (l.%3$I - (COALESCE(lag(l.%3$I) OVER w, 0) + (%4$s)))::numeric
                                       AS diff
                            FROM %5$s AS l
                            WHERE l.%1$I = ANY ($1::%6$s[])
                            WINDOW w AS (PARTITION BY l.%1$I ORDER BY %7$s)
                        ) AS x
                        WINDOW w AS (PARTITION BY x.k ORDER BY x.pos)
                    ) AS y
                    WHERE y.diff IS DISTINCT FROM 0
                      -- the far side of one misrecorded running balance is not a second break
                      AND NOT COALESCE(y.prev_diff <> 0 AND y.diff = -y.prev_diff, FALSE)
                    GROUP BY y.k
                ) AS z$q$,
                v_legs.wallet_column, _recon.entry_name_sql(v_legs, 'l'),
                v_legs.balance_after_column, _recon.effect_sql(v_legs, v_chain, 'l'),
                _recon.legs_sql(v_ledger), v_key_type, _recon.entry_order_sql(v_legs, 'l'))
            INTO v_breaks USING v_keys;
        END IF;

        -- Unbalanced journals, as the ledger's enabled journal checks last found them and as
        -- they are now: each with its imbalance in effect on every balance column, and its
        -- wallets. Only those journals are read (never the whole ledger).
        v_journals := '[]';
        v_journal_checks := ARRAY(SELECT c.name FROM _recon.check_def AS c
                                  WHERE c.kind = 'journal' AND c.enabled
                                    AND c.ledger_source = v_ledger.name ORDER BY c.name);
        IF v_ledger.journal_column IS NOT NULL AND cardinality(v_journal_checks) > 0 THEN
            EXECUTE format($q$
                SELECT COALESCE(jsonb_agg(jsonb_build_object(
                           'journal', j.journal, 'imbalance', j.imbalance, 'wallets', j.wallets)
                           ORDER BY j.journal), '[]')
                FROM (
                    SELECT l.%1$I::text AS journal, jsonb_build_object(%2$s) AS imbalance,
                           jsonb_agg(DISTINCT l.%3$I::text) AS wallets
                    FROM %4$s AS l
                    WHERE l.%1$I = ANY ($1::%5$s[])
                    GROUP BY l.%1$I
                ) AS j
                WHERE EXISTS (SELECT FROM jsonb_each_text(j.imbalance) AS i
                              WHERE i.value::numeric <> 0)$q$,
                v_legs.journal_column,
                (SELECT string_agg(format('%L, sum(%s)', b, _recon.effect_sql(v_legs, b, 'l')),
                                   ', ')
                 FROM unnest(v_wallet.balance_columns) AS b WHERE v_ledger.effects ? b),
                v_legs.wallet_column, _recon.legs_sql(v_ledger),
                _recon.column_type(v_ledger.relid, v_ledger.journal_column))
            INTO v_journals
            USING ARRAY(SELECT DISTINCT f.details ->> 'journal' FROM _recon.finding AS f
                        WHERE f.check_name = ANY (v_journal_checks) AND f.resolved_run IS NULL
                          AND f.dropped_at IS NULL AND f.details ? 'journal');
        END IF;

        -- The verdict per step.
        UPDATE _recon.fix_stage AS s
        SET evidence = v.evidence,
            status = CASE WHEN v.keep THEN s.status
                          WHEN v.verdict = 'lost_entry' AND v.restore THEN s.status
                          ELSE 'manual' END,
            strategy = CASE WHEN v.verdict = 'lost_entry' AND v.restore THEN 'restore'
                            ELSE s.strategy END,
            ledger_source = CASE WHEN v.verdict = 'lost_entry' AND v.restore THEN v_ledger.name
                                 ELSE s.ledger_source END,
            moves = CASE WHEN v.keep THEN s.moves ELSE '{}'::jsonb END,
            postings = CASE WHEN v.verdict = 'lost_entry' AND v.restore THEN jsonb_build_array(
                                jsonb_strip_nulls(jsonb_build_object(
                                    'wallet', s.wallet_key,
                                    'deltas', jsonb_build_object(v.col, s.difference),
                                    'purpose', 'restore', 'journal', v.journal))
                                || jsonb_build_object('offset_wallet', NULL))
                            WHEN v.keep THEN s.postings
                            ELSE '[]'::jsonb END,
            note = CASE WHEN v.keep THEN s.note ELSE v.note END
        FROM (
            SELECT e.step, e.col, e.verdict, e.restore, e.journal,
                   -- the strategy stands where the evidence supports it; an adjustment
                   -- trusts the stored balance, which a lost update shows wrong
                   (e.verdict IN ('consistent', 'no_evidence')
                    OR (e.verdict = 'lost_update' AND e.strategy = 'resync')) AS keep,
                   jsonb_strip_nulls(jsonb_build_object(
                       'verdict', e.verdict,
                       'ledger', v_ledger.name,
                       'chain', CASE WHEN NOT e.chain_kept THEN 'not kept'
                                     WHEN e.breaks IS NULL THEN 'intact'
                                     ELSE 'broken' END,
                       'breaks', e.breaks,
                       'journals', CASE
                           WHEN v_ledger.journal_column IS NULL THEN 'not kept'
                           WHEN cardinality(v_journal_checks) = 0
                               THEN 'not examined: no enabled journal check'
                           WHEN e.journals = '[]' THEN 'balanced' ELSE 'unbalanced' END,
                       'unbalanced_journals', NULLIF(e.journals, '[]'),
                       'restore_journal', CASE WHEN e.verdict = 'lost_entry' AND e.restore
                                               THEN e.journal END,
                       'note', CASE e.verdict
                           WHEN 'no_evidence' THEN 'no ledger evidence available'
                           WHEN 'lost_update' THEN format(
                               'the running balance has a gap of exactly the drift at entry %s '
                               || 'and %s: the stored balance lost an update',
                               e.breaks -> 0 ->> 'entry',
                               CASE WHEN e.journals_kept THEN 'every journal balances'
                                    ELSE 'the ledger keeps no journal to show a lost entry' END)
                           END)) AS evidence,
                   CASE e.verdict
                       WHEN 'lost_update' THEN format(
                           'the running balance shows the stored balance lost an update (a gap '
                           || 'of exactly the drift at entry %s): an adjustment would book the '
                           || 'loss into the ledger; resync it (force_strategy => ''resync'')',
                           e.breaks -> 0 ->> 'entry')
                       WHEN 'lost_entry' THEN CASE WHEN e.restore THEN NULL ELSE format(
                           'the ledger lost an entry of %s on this wallet (a gap in its running '
                           || 'balance at entry %s) but no single unbalanced journal lacks '
                           || 'exactly that amount: restore it by hand, or acknowledge',
                           e.difference, e.breaks -> 0 ->> 'entry') END
                       ELSE format(
                           'the ledger is not consistent for this wallet (%s): resyncing or '
                           || 'adjusting would book its error; repair by hand, or acknowledge',
                           concat_ws('; ',
                               CASE WHEN e.breaks IS NOT NULL THEN format(
                                   'running balance breaks at %s',
                                   (SELECT string_agg(format('entry %s (%s %s)', b ->> 'entry',
                                                             b ->> 'kind', b ->> 'gap'), ', ')
                                    FROM jsonb_array_elements(e.breaks) AS b)) END,
                               CASE WHEN e.journals <> '[]' THEN format(
                                   'unbalanced journal %s',
                                   (SELECT string_agg(format('%s (%s)', j ->> 'journal',
                                                             j -> 'imbalance' ->> e.col), ', ')
                                    FROM jsonb_array_elements(e.journals) AS j)) END))
                   END AS note
            FROM (
                SELECT d.*,
                       CASE
                           WHEN NOT d.chain_kept AND NOT d.journals_kept THEN 'no_evidence'
                           WHEN d.breaks IS NULL AND d.journals = '[]' THEN 'consistent'
                           WHEN jsonb_array_length(d.breaks) = 1
                                AND d.breaks -> 0 ->> 'kind' = 'gap'
                                AND (d.breaks -> 0 ->> 'gap')::numeric = d.difference
                               THEN CASE
                                   -- every entry there and every journal balanced: the
                                   -- running balance shows the stored balance was overwritten
                                   -- (a lost update), not that the ledger lost a row
                                   WHEN d.journals = '[]' THEN 'lost_update'
                                   ELSE 'lost_entry' END
                           ELSE 'inconsistent'
                       END AS verdict,
                       -- restored exactly: the gap gives the amount, and the one unbalanced
                       -- journal lacking exactly it gives the transaction
                       (d.journals_kept AND jsonb_array_length(d.journals) = 1
                        AND (d.journals -> 0 -> 'imbalance' ->> d.col)::numeric = -d.difference)
                           AS restore,
                       d.journals -> 0 ->> 'journal' AS journal
                FROM (
                    SELECT s.step, s.difference, s.strategy, f.details ->> 'column' AS col,
                           (v_chain IS NOT NULL AND f.details ->> 'column' = v_chain)
                               AS chain_kept,
                           (v_ledger.journal_column IS NOT NULL
                            AND cardinality(v_journal_checks) > 0) AS journals_kept,
                           CASE WHEN f.details ->> 'column' = v_chain
                                THEN v_breaks -> s.wallet_key END AS breaks,
                           -- journals of this wallet's entries, or lacking exactly its drift
                           COALESCE((SELECT jsonb_agg(j.value ORDER BY j.value ->> 'journal')
                                     FROM jsonb_array_elements(v_journals) AS j
                                     WHERE j.value -> 'wallets' ? s.wallet_key
                                        OR (j.value -> 'imbalance' ->> (f.details ->> 'column'))
                                           ::numeric = -s.difference), '[]') AS journals
                    FROM _recon.fix_stage AS s
                    JOIN _recon.finding AS f ON f.id = s.finding_id
                    JOIN _recon.check_def AS c ON c.name = s.check_name
                    WHERE s.stage_id = p_stage AND s.kind = 'balance' AND s.status = 'planned'
                      AND s.strategy IN ('resync', 'adjust')
                      AND c.ledger_source = v_ledger.name AND s.wallet_key IS NOT NULL
                ) AS d
            ) AS e
        ) AS v
        WHERE s.stage_id = p_stage AND s.step = v.step;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_rows := v_rows + v_n;
    END LOOP;
    -- A restored entry belongs in its journal: an INSERT writer without a journal template
    -- does not write the journal column.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = format('the writer of ledger %s does not write its journal column, and the '
                      || 'restored entry belongs in journal %s: register the writer with a '
                      || '"journal" template, or restore it by hand', w.ledger_source,
                      s.postings -> 0 ->> 'journal')
    FROM _recon.writer AS w
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.strategy = 'restore'
      AND w.ledger_source = s.ledger_source AND w.kind = 'insert' AND w.journal IS NULL
      AND s.postings -> 0 ? 'journal';
    RETURN v_rows;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_evidence(bigint) IS
'Chooses, on the ledger''s evidence, how recon.fix() repairs each balance finding of a staged '
'plan it would resync or adjust: reads the wallet''s running balance (breaks, and whether a '
'break is a gap of exactly the drift or a misrecorded balance) and the ledger''s unbalanced '
'journals (those its journal checks found, re-read now). A consistent ledger, or one that '
'keeps neither (evidence: no ledger evidence available), keeps the strategy; a ledger that '
'lost one entry of exactly the drift, in the one journal lacking exactly it, gets it restored '
'(strategy restore: one entry, no offset side, stored balance unchanged); anything else is '
'manual, its note naming the evidence. Sets each step''s evidence. Returns the steps judged.';

REVOKE EXECUTE ON FUNCTION _recon.fix_evidence(bigint) FROM PUBLIC;
