-- _recon.fix_evidence_judge(): the verdict of a ledger's evidence on each step to resync or adjust.
CREATE OR REPLACE FUNCTION _recon.fix_evidence_judge(
    p_stage bigint, p_ledger_name text, p_chain text, p_journals_kept boolean, p_breaks jsonb,
    p_journals jsonb
)
RETURNS TABLE (
    step integer, difference numeric, strategy text, col text, chain_kept boolean,
    journals_kept boolean, breaks jsonb, journals jsonb, verdict text, restore boolean,
    journal text
)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
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
           -- journal lacking exactly it gives the transaction, while no other wallet drifts
           -- by the same (_recon.fix_evidence_rival: then either may have lost it) and one of
           -- the journal's legs lies where the gap is (_recon.fix_evidence_placed: a journal
           -- elsewhere lacking the same amount may be another wallet's lost leg, and this
           -- wallet's a lost update; a ledger with no entry order says nothing there)
           (d.journals_kept AND jsonb_array_length(d.journals) = 1
            AND (d.journals -> 0 -> 'imbalance' ->> d.col)::numeric = -d.difference
            AND _recon.fix_evidence_rival(p_stage, d.step) IS NULL
            AND COALESCE(d.breaks -> 0 -> 'journals_at_gap' ? (d.journals -> 0 ->> 'journal'),
                         TRUE))
               AS restore,
           d.journals -> 0 ->> 'journal' AS journal
    FROM (
        SELECT s.step, s.difference, s.strategy, f.details ->> 'column' AS col,
               (p_chain IS NOT NULL AND f.details ->> 'column' = p_chain)
                   AS chain_kept,
               p_journals_kept AS journals_kept,
               CASE WHEN f.details ->> 'column' = p_chain
                    THEN p_breaks -> s.wallet_key END AS breaks,
               -- journals of this wallet's entries, or lacking exactly its drift
               COALESCE((SELECT jsonb_agg(j.value ORDER BY j.value ->> 'journal')
                         FROM jsonb_array_elements(p_journals) AS j
                         WHERE j.value -> 'wallets' ? s.wallet_key
                            OR (j.value -> 'imbalance' ->> (f.details ->> 'column'))
                               ::numeric = -s.difference), '[]') AS journals
        FROM _recon.fix_stage AS s
        JOIN _recon.finding AS f ON f.id = s.finding_id
        JOIN _recon.check_def AS c ON c.name = s.check_name
        WHERE s.stage_id = p_stage AND s.kind = 'balance' AND s.status = 'planned'
          AND s.strategy IN ('resync', 'adjust')
          AND c.ledger_source = p_ledger_name AND s.wallet_key IS NOT NULL
    ) AS d;
$body$;

COMMENT ON FUNCTION _recon.fix_evidence_judge(bigint, text, text, boolean, jsonb, jsonb) IS
'For _recon.fix_evidence: each planned balance step of stage p_stage to resync or adjust on '
'ledger p_ledger_name, with its evidence (its wallet''s breaks of the running balance of '
'column p_chain, from p_breaks; the unbalanced journals of its entries or lacking exactly its '
'drift, from p_journals; p_journals_kept: the ledger keeps journals and checks them) and the '
'verdict: no_evidence, consistent, lost_update, lost_entry (restore: the one journal lacking '
'exactly the drift gives the transaction) or inconsistent.';

REVOKE EXECUTE ON FUNCTION _recon.fix_evidence_judge(bigint, text, text, boolean, jsonb, jsonb)
FROM PUBLIC;
