-- _recon.fix_evidence_record(): each step's evidence, and the strategy it supports.
CREATE OR REPLACE FUNCTION _recon.fix_evidence_record(
    p_stage bigint, p_ledger _recon.ledger_source, p_chain text, p_journal_checks text[],
    p_breaks jsonb, p_journals jsonb
)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_nestloop = off
AS $body$
DECLARE
    v_n integer;
BEGIN
    -- The verdict per step.
    UPDATE _recon.fix_stage AS s
    SET evidence = v.evidence,
        status = CASE WHEN v.keep THEN s.status
                      WHEN v.verdict = 'lost_entry' AND v.restore THEN s.status
                      ELSE 'manual' END,
        strategy = CASE WHEN v.verdict = 'lost_entry' AND v.restore THEN 'restore'
                        ELSE s.strategy END,
        ledger_source = CASE WHEN v.verdict = 'lost_entry' AND v.restore THEN p_ledger.name
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
                   'ledger', p_ledger.name,
                   'chain', CASE WHEN NOT e.chain_kept THEN 'not kept'
                                 WHEN e.breaks IS NULL THEN 'intact'
                                 ELSE 'broken' END,
                   'breaks', e.breaks,
                   'journals', CASE
                       WHEN p_ledger.journal_column IS NULL THEN 'not kept'
                       WHEN cardinality(p_journal_checks) = 0
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
                   WHEN 'lost_entry' THEN CASE
                       WHEN e.restore THEN NULL
                       WHEN _recon.fix_evidence_rival(p_stage, e.step) IS NOT NULL THEN format(
                           'the ledger lost an entry of %s on this wallet (a gap in its '
                           || 'running balance at entry %s), but wallet %s drifts by exactly '
                           || 'the same: an unbalanced journal lacking that amount does not '
                           || 'tell which lost it; restore it by hand, or acknowledge',
                           e.difference, e.breaks -> 0 ->> 'entry',
                           _recon.fix_evidence_rival(p_stage, e.step))
                       WHEN jsonb_array_length(e.journals) = 1
                            AND (e.journals -> 0 -> 'imbalance' ->> e.col)::numeric
                                = -e.difference THEN format(
                           'the running balance has a gap of exactly the drift at entry %s and '
                           || 'journal %s lacks exactly that amount, but none of its legs lies '
                           || 'where the gap is: it may be another wallet''s lost leg, and this '
                           || 'wallet''s a lost update; repair by hand, or acknowledge',
                           e.breaks -> 0 ->> 'entry', e.journal)
                       ELSE format(
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
        FROM _recon.fix_evidence_judge(p_stage, p_ledger.name, p_chain,
                                       p_ledger.journal_column IS NOT NULL
                                       AND cardinality(p_journal_checks) > 0, p_breaks,
                                       p_journals) AS e
    ) AS v
    WHERE s.stage_id = p_stage AND s.step = v.step;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_evidence_record(
    bigint, _recon.ledger_source, text, text[], jsonb, jsonb
) IS
'For _recon.fix_evidence, one ledger: sets the evidence of each step _recon.fix_evidence_judge '
'judges; a consistent ledger, or one without evidence, keeps the strategy (a lost update only a '
'resync); a lost entry the one unbalanced journal gives exactly becomes a restore; anything '
'else is manual, its note naming the evidence. Returns the steps judged.';

REVOKE EXECUTE ON FUNCTION _recon.fix_evidence_record(
    bigint, _recon.ledger_source, text, text[], jsonb, jsonb
) FROM PUBLIC;
