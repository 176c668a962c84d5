-- _recon.fix_lifecycle_verdict(): what a hold's transaction shows, and the entries that resolve it.
CREATE OR REPLACE FUNCTION _recon.fix_lifecycle_verdict(
    p_step _recon.fix_stage, p_check_name text, p_ledger_name text, p_legs _recon.ledger_source,
    p_hold text, p_terminal text[], p_release text, p_commit text, p_approved text[],
    p_canceled text[], p_journal text, p_status text, p_entries jsonb,
    OUT p_note text, OUT p_verdict text, OUT p_postings jsonb, OUT p_evidence jsonb
)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_holds jsonb;
    v_res jsonb;
    v_want text;
    v_keep jsonb;
    v_net jsonb;
BEGIN
    v_holds := (SELECT COALESCE(jsonb_agg(e), '[]') FROM jsonb_array_elements(p_entries) AS e
                WHERE e ->> 'wallet' = p_step.wallet_key AND e ->> 'kind' = p_hold);
    v_res := (SELECT COALESCE(jsonb_agg(e), '[]') FROM jsonb_array_elements(p_entries) AS e
              WHERE e ->> 'wallet' = p_step.wallet_key
                AND e ->> 'kind' = ANY (p_terminal));
    p_postings := '[]';
    p_note := NULL;
    p_verdict := NULL;
    v_want := CASE WHEN p_status = ANY (p_approved) THEN p_commit
                   WHEN p_status = ANY (p_canceled) THEN p_release END;
    IF jsonb_array_length(v_holds) <> 1 THEN
        p_note := format('%s holds (%s) on the wallet in transaction %s: which one to '
                         || 'resolve needs a person', jsonb_array_length(v_holds), p_hold,
                         p_journal);
    ELSIF jsonb_array_length(v_res) = 0 THEN
        IF p_status IS NULL OR NOT (p_status = ANY (p_approved || p_canceled)) THEN
            p_note := format('transaction %s is %s: neither approved (%s) nor canceled '
                             || '(%s); whether the hold is committed or released needs '
                             || 'a person', p_journal, COALESCE(p_status, 'of no status'),
                             array_to_string(p_approved, ', '),
                             array_to_string(p_canceled, ', '));
        ELSIF v_want IS NULL THEN
            p_note := format('transaction %s is %s, but no terminal of %s %s the hold '
                             || 'exactly', p_journal, p_status, p_check_name,
                             CASE WHEN p_status = ANY (p_approved) THEN 'commits'
                                  ELSE 'releases' END);
        ELSE
            p_verdict := CASE WHEN v_want = p_release THEN 'canceled_not_released'
                              ELSE 'approved_not_committed' END;
            p_postings := jsonb_build_array(jsonb_build_object(
                'wallet', p_step.wallet_key,
                'deltas', _recon.rule_effect(p_legs, v_want,
                                             (v_holds -> 0 ->> 'amount')::numeric),
                'purpose', CASE WHEN v_want = p_release THEN 'release' ELSE 'commit' END,
                'journal', p_journal, 'hold', v_holds -> 0 ->> 'entry',
                'status', p_status, 'offset_wallet', NULL));
        END IF;
    ELSIF jsonb_array_length(v_res) = 1
        AND (v_res -> 0 ->> 'amount')::numeric <= (v_holds -> 0 ->> 'amount')::numeric THEN
        p_verdict := 'resolved';
        p_note := format('already consistent: the hold is resolved by entry %s (%s)',
                         v_res -> 0 ->> 'entry', v_res -> 0 ->> 'kind');
    ELSIF EXISTS (SELECT FROM jsonb_array_elements(v_res) AS r
                  WHERE (r ->> 'amount')::numeric
                        <> (v_holds -> 0 ->> 'amount')::numeric) THEN
        p_note := format('transaction %s resolves the hold of %s by other amounts (%s): '
                         || 'needs a person', p_journal, v_holds -> 0 ->> 'amount',
                         (SELECT string_agg(format('%s %s', r ->> 'kind', r ->> 'amount'),
                                            ', ')
                          FROM jsonb_array_elements(v_res) AS r));
    ELSE
        -- resolved more than once: keep the first resolution the status asks for (or
        -- the first, when all are of one kind and the status says nothing); each other
        -- one is reversed by an entry of the opposite effect in the same transaction
        v_want := COALESCE(v_want, (SELECT min(r ->> 'kind')
                                    FROM jsonb_array_elements(v_res) AS r
                                    HAVING count(DISTINCT r ->> 'kind') = 1));
        v_keep := (SELECT r FROM jsonb_array_elements(v_res) WITH ORDINALITY AS x (r, n)
                   WHERE r ->> 'kind' = v_want ORDER BY n LIMIT 1);
        IF v_keep IS NULL THEN
            p_note := format('transaction %s is %s, but its hold is resolved by %s: '
                             || 'needs a person', p_journal,
                             COALESCE(p_status, 'of no status'),
                             (SELECT string_agg(r ->> 'kind', ', ')
                              FROM jsonb_array_elements(v_res) AS r));
        ELSE
            p_verdict := 'resolved_twice';
            p_postings := (
                SELECT jsonb_agg(jsonb_build_object(
                    'wallet', p_step.wallet_key,
                    'deltas', _recon.rule_effect(p_legs, r ->> 'kind',
                                                 -((r ->> 'amount')::numeric)),
                    'purpose', 'reversal', 'entry', r ->> 'entry', 'journal', p_journal,
                    'hold', v_holds -> 0 ->> 'entry', 'status', p_status,
                    'offset_wallet', NULL) ORDER BY n)
                FROM jsonb_array_elements(v_res) WITH ORDINALITY AS x (r, n)
                WHERE r IS DISTINCT FROM v_keep);
        END IF;
    END IF;
    -- An INSERT writer writes the journal column only from its template: without one
    -- its row would not land in the hold's transaction.
    IF p_note IS NULL AND EXISTS (SELECT FROM _recon.writer AS w
                                  WHERE w.ledger_source = p_ledger_name
                                    AND w.kind = 'insert' AND w.journal IS NULL) THEN
        p_note := format('the INSERT writer of ledger %s cannot post into transaction %s '
                         || '(it has no "journal" template): register a posting '
                         || 'function, or one with a journal template', p_ledger_name,
                         p_journal);
        p_verdict := NULL;
        p_postings := '[]';
    END IF;
    -- What the transaction nets to, every wallet and column, with the postings: a
    -- repair leaves it balanced (0 on every column) or is not made.
    IF p_note IS NULL THEN
        v_net := (SELECT COALESCE(jsonb_object_agg(n.col, n.total), '{}') FROM (
                      SELECT d.key AS col, sum(d.value::numeric) AS total
                      FROM (SELECT _recon.rule_effect(p_legs, e ->> 'kind',
                                                      (e ->> 'amount')::numeric) AS fx
                            FROM jsonb_array_elements(p_entries) AS e
                            UNION ALL
                            SELECT p -> 'deltas' FROM jsonb_array_elements(p_postings) AS p
                           ) AS x, jsonb_each_text(x.fx) AS d
                      GROUP BY d.key HAVING sum(d.value::numeric) <> 0) AS n);
        IF v_net <> '{}' THEN
            p_note := format('transaction %s would not balance after it (it would net '
                             || '%s): needs a person', p_journal, v_net);
            p_verdict := NULL;
            p_postings := '[]';
        END IF;
    END IF;
    p_evidence := jsonb_strip_nulls(jsonb_build_object(
        'verdict', COALESCE(p_verdict, 'needs_person'), 'transaction', p_journal,
        'status', p_status, 'holds', v_holds, 'resolutions', v_res,
        'entries', jsonb_array_length(p_entries)));
END;
$body$;

COMMENT ON FUNCTION _recon.fix_lifecycle_verdict(
    _recon.fix_stage, text, text, _recon.ledger_source, text, text[], text, text, text[], text[],
    text, text, jsonb
) IS
'For _recon.fix_lifecycle, one resolve step of lifecycle check p_check_name: from transaction '
'p_journal''s status p_status and entries p_entries, the hold (p_hold) on the step''s wallet '
'and its resolutions (p_terminal; p_release undoes it exactly, p_commit commits it; '
'p_approved, p_canceled: the statuses that say which), the postings that resolve it '
'(p_postings) and the verdict, or the note saying why it needs a person (several holds, other '
'amounts, a pending or unknown status, an INSERT writer of ledger p_ledger_name without a '
'journal template, a transaction that would not balance after it); p_evidence for the step.';

REVOKE EXECUTE ON FUNCTION _recon.fix_lifecycle_verdict(
    _recon.fix_stage, text, text, _recon.ledger_source, text, text[], text, text, text[], text[],
    text, text, jsonb
) FROM PUBLIC;
