-- _recon.fix_evidence_totals(): on a double-entry ledger, what the totals show about a resync
-- no other evidence supports.
CREATE OR REPLACE FUNCTION _recon.fix_evidence_totals(p_stage bigint, p_strategy text)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_group record;
    v_ws _recon.wallet_source;
    v_stored numeric;
    v_drift numeric;
    v_broken bigint;
    v_rows integer := 0;
    v_n integer;
BEGIN
    -- A resync sets a stored balance to what the ledger says. On a double-entry ledger (kept
    -- journals, or transfer rows) the ledger can be the one that is wrong: a lost DEBIT leg
    -- leaves the wallet's entries higher than its balance, and a resync would credit the
    -- wallet with what it spent. Where neither a running balance nor a journal check shows a
    -- lost entry (verdicts no_evidence, consistent, lost_update: a running balance cannot
    -- show a wallet's lost last entry, nor a whole journal lost, and without a journal check
    -- a gap may be a lost entry as well as a lost update), the totals do: every leg's other
    -- side is in the same ledger, so the entries on all wallets of a currency sum to 0, that is, the stored
    -- balances sum to exactly the drifts found. Otherwise a leg is lost (or the other side's
    -- wallets are not registered). And two wallets drifting by exactly opposite amounts show a
    -- transfer missing from the ledger, or booked in the stored balances only: nothing tells
    -- which. Either way a person decides, unless the caller or the check's policy chose the
    -- resync (the ledger's word).
    FOR v_group IN
        SELECT DISTINCT s.check_name, s.wallet_source, f.currency,
               f.details ->> 'column' AS col, l.name AS ledger,
               CASE WHEN l.journal_column IS NOT NULL THEN format('journal %I', l.journal_column)
                    ELSE format('%s rows', l.shape) END AS how
        FROM _recon.fix_stage AS s
        JOIN _recon.finding AS f ON f.id = s.finding_id
        JOIN _recon.check_def AS c ON c.name = s.check_name
        JOIN _recon.ledger_source AS l ON l.name = c.ledger_source
        WHERE s.stage_id = p_stage AND s.kind = 'balance' AND s.status = 'planned'
          AND s.strategy = 'resync'
          AND s.evidence ->> 'verdict' IN ('no_evidence', 'consistent', 'lost_update')
          AND p_strategy IS NULL
          AND NOT EXISTS (SELECT FROM _recon.fix_policy AS p
                          WHERE p.check_name = s.check_name AND p.strategy = 'resync')
          AND (l.journal_column IS NOT NULL OR l.shape <> 'entries')
        ORDER BY 1, 2, 3, 4
    LOOP
        v_ws := _recon.wallet(v_group.wallet_source);
        -- the stored balances of every wallet of that currency, in major units
        v_stored := (_recon.fix_read(
            format('SELECT to_jsonb(COALESCE(sum(%s), 0)) FROM %s AS w%s',
                   _recon.major_sql(v_ws.balance_scale, format('w.%I', v_group.col), 'w'),
                   v_ws.relid::regclass,
                   CASE WHEN v_ws.currency_column IS NOT NULL AND v_group.currency IS NOT NULL
                        THEN format(' WHERE w.%I::text = $1[1]', v_ws.currency_column)
                        ELSE '' END),
            ARRAY[v_group.currency]) #>> '{}')::numeric;
        -- the drifts the check found open there (stored - ledger), and its findings without one
        -- (an entry of no known wallet, a NULL amount): those make the totals unreadable
        SELECT COALESCE(sum(f.difference), 0), count(*) FILTER (WHERE f.difference IS NULL)
        INTO v_drift, v_broken
        FROM _recon.finding AS f
        WHERE f.check_name = v_group.check_name AND f.resolved_run IS NULL
          AND f.dropped_at IS NULL AND f.currency IS NOT DISTINCT FROM v_group.currency
          AND (f.details ->> 'column' = v_group.col OR f.difference IS NULL);

        UPDATE _recon.fix_stage AS s
        SET status = CASE WHEN x.why IS NULL THEN s.status ELSE 'manual' END,
            moves = CASE WHEN x.why IS NULL THEN s.moves ELSE '{}'::jsonb END,
            note = COALESCE(x.why, s.note),
            evidence = s.evidence || jsonb_strip_nulls(jsonb_build_object('totals',
                jsonb_build_object('stored', v_stored, 'drift', v_drift,
                                   'ledger', v_stored - v_drift, 'unreadable', v_broken,
                                   'opposite', x.opposite)))
        FROM (
            SELECT y.step, o.wallet_key AS opposite,
                   CASE
                       -- no other evidence: totals that are unreadable or not 0; a running
                       -- balance without a break (or with a gap a lost update explains): a
                       -- ledger that does not sum to 0 while the stored balances do (the
                       -- ledger lost legs), or whose imbalance is exactly this wallet's drift
                       -- (its lost leg); an open ledger, whose other sides are not all
                       -- registered, sums to something else and keeps the running balance's
                       -- word
                       WHEN (y.evidence ->> 'verdict' = 'no_evidence'
                             AND (v_broken > 0 OR v_stored - v_drift <> 0))
                            OR (y.evidence ->> 'verdict' <> 'no_evidence'
                                AND v_stored - v_drift <> 0
                                AND (v_stored = 0 OR v_stored - v_drift = -y.difference))
                           THEN format(
                           'ledger %s is double-entry (%s), but its entries on the wallets of '
                           || '%s sum to %s%s, not 0%s: a leg may be lost, and a resync would '
                           || 'book the loss into this wallet; find it with a journal check, '
                           || 'or resync on the ledger''s word (force_strategy => ''resync'', '
                           || 'or recon.set_fix_policy(%L, ''{"strategy": "resync"}''))',
                           v_group.ledger, v_group.how, v_group.wallet_source,
                           v_stored - v_drift, COALESCE(' ' || v_group.currency, ''),
                           CASE WHEN v_broken > 0
                                THEN format(' (and %s findings without an amount)', v_broken)
                                ELSE '' END,
                           v_group.check_name)
                       WHEN o.wallet_key IS NOT NULL THEN format(
                           'wallet %s drifts by exactly the opposite (%s): a transfer between '
                           || 'them may be missing from ledger %s, or booked in the stored '
                           || 'balances only, and nothing tells which; repair by hand, or '
                           || 'resync on the ledger''s word (force_strategy => ''resync'')',
                           o.wallet_key, -y.difference, v_group.ledger)
                   END AS why
            FROM _recon.fix_stage AS y
            JOIN _recon.finding AS f ON f.id = y.finding_id
            LEFT JOIN LATERAL (
                SELECT g.wallet_key FROM _recon.finding AS g
                WHERE g.check_name = v_group.check_name AND g.resolved_run IS NULL
                  AND g.dropped_at IS NULL AND g.currency IS NOT DISTINCT FROM v_group.currency
                  AND g.details ->> 'column' = v_group.col AND g.difference = -y.difference
                  AND g.wallet_key IS DISTINCT FROM y.wallet_key
                ORDER BY g.wallet_key LIMIT 1
            ) AS o ON TRUE
            WHERE y.stage_id = p_stage AND y.kind = 'balance' AND y.status = 'planned'
              AND y.strategy = 'resync'
              AND y.evidence ->> 'verdict' IN ('no_evidence', 'consistent', 'lost_update')
              AND y.check_name = v_group.check_name
              AND f.currency IS NOT DISTINCT FROM v_group.currency
              AND f.details ->> 'column' = v_group.col
        ) AS x
        WHERE s.stage_id = p_stage AND s.step = x.step;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_rows := v_rows + v_n;
    END LOOP;
    RETURN v_rows;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_evidence_totals(bigint, text) IS
'Phase of _recon.fix_plan after _recon.fix_evidence: on a double-entry ledger (a journal '
'column, or a shape of several legs), a balance step to resync whose running balance and '
'journals show no lost entry (verdict no_evidence, consistent or lost_update: neither shows a '
'lost last entry or a whole journal lost), and that neither the caller '
'(p_strategy) nor the check''s policy chose, stays planned only when the totals support it: '
'no other wallet drifts by exactly the opposite, and (no_evidence) the stored balances of the '
'wallet source in its currency sum to exactly the open drifts the check found (the ledger''s '
'entries sum to 0), or (consistent, lost_update) the ledger''s entries sum to 0, or to '
'something else than minus this wallet''s drift (its lost leg) while the stored balances do not '
'sum to 0 (the ledger lost legs). Else it is manual, its note saying why. The figures '
'go to the step''s evidence ("totals"). Returns the steps judged.';

REVOKE EXECUTE ON FUNCTION _recon.fix_evidence_totals(bigint, text) FROM PUBLIC;
