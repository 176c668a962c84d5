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
BEGIN
    -- 1. The findings, each with its repair: what it posts into the ledger (postings: wallet,
    --    deltas per balance column, purpose) and what it adds to the stored balances (moves).
    v_steps := _recon.fix_plan_steps(p_stage, p_run, p_checks, p_wallets, p_findings,
                                     p_strategy);

    -- 2. A duplicate is reversed entry by entry: every posting after the first, each by its
    --    own compensating entry, read from the ledger for its effects. The toolkit records the
    --    reversal (_recon.reversal); the entry is referenced REV-<entry> where the reference
    --    column can hold it, else by the writer's reference template.
    PERFORM _recon.fix_plan_reversals(p_stage);

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
    --    wallet in the same plan when they move its column by exactly its drift; a derived
    --    finding by the repair of the orphan or duplicate its shown cause names. One explained
    --    by a finding this plan does not repair, or adjusted beside a payment the plan posts,
    --    is left to a person.
    PERFORM _recon.fix_plan_covered(p_stage);

    -- 3b. What the ledger shows about each wallet to resync or adjust: a wallet whose ledger
    --     lost an entry gets it restored when the evidence gives it exactly, else is left to
    --     a person (_recon.fix_evidence).
    PERFORM _recon.fix_evidence(p_stage);
    --     On a double-entry ledger, a resync nothing else supports and nobody chose stands on
    --     the totals (every currency's entries sum to 0), else is left to a person.
    PERFORM _recon.fix_evidence_totals(p_stage, p_strategy);

    -- 3c. A wallet with broken data (NULL, NaN, unknown, unmapped) or a lost entry left to a
    --     person is repaired whole or not at all: none of its other steps run.
    PERFORM _recon.fix_plan_skip_wallets(p_stage);

    -- 4. What cannot be posted: a ledger without a writer, an effect no entry type has.
    PERFORM _recon.fix_plan_skip_unwritable(p_stage);
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
