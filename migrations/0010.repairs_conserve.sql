-- 0010 repairs that conserve and act on evidence: recon.fix() and recon.reverse_fix() return
-- one shared row type, recon.fix_step, which adds to each step its currency, the change it
-- makes to the stored balances and to the ledger's effects (offset wallets included), and
-- the evidence it acted on; recon.fix() takes the findings to repair by id. The old
-- signatures are dropped here; the repeatable layer creates the new ones.

DROP FUNCTION IF EXISTS recon.fix(
    bigint, boolean, text, text, text[], text[], text, numeric, numeric
);
DROP FUNCTION IF EXISTS recon.reverse_fix(bigint, boolean, text, text);
DROP FUNCTION IF EXISTS _recon.fix_report(bigint);

CREATE TYPE recon.fix_step AS (
    step integer,
    finding_id bigint,
    check_name text,
    wallet_key text,
    strategy text,
    amount numeric,
    entries jsonb,
    stored_before jsonb,
    stored_after jsonb,
    status text,
    note text,
    repair_id bigint,
    currency text,
    stored_change jsonb,
    ledger_change jsonb,
    evidence jsonb
);
COMMENT ON TYPE recon.fix_step IS
'One step of a repair plan, as recon.fix() and recon.reverse_fix() return it (docs/REPAIRS.md).';
COMMENT ON COLUMN recon.fix_step.step IS 'Step number, in the order steps are applied.';
COMMENT ON COLUMN recon.fix_step.finding_id IS 'The finding it repairs (recon.run_findings).';
COMMENT ON COLUMN recon.fix_step.check_name IS 'The finding''s check.';
COMMENT ON COLUMN recon.fix_step.wallet_key IS 'The wallet it repairs.';
COMMENT ON COLUMN recon.fix_step.strategy IS
'adjust, resync, restore, post_missing, reverse, move, acknowledge, none or reversal.';
COMMENT ON COLUMN recon.fix_step.amount IS 'How much it repairs (absolute).';
COMMENT ON COLUMN recon.fix_step.entries IS
'Entries to post (applied: the entries posted, with their ids).';
COMMENT ON COLUMN recon.fix_step.stored_before IS 'The wallet''s stored balances before the step.';
COMMENT ON COLUMN recon.fix_step.stored_after IS 'The wallet''s stored balances after the step.';
COMMENT ON COLUMN recon.fix_step.status IS 'planned, applied, covered, manual or skipped.';
COMMENT ON COLUMN recon.fix_step.note IS 'Why it is manual or skipped, or what covers it.';
COMMENT ON COLUMN recon.fix_step.repair_id IS 'Its audit row in recon.repairs, once applied.';
COMMENT ON COLUMN recon.fix_step.currency IS
'The wallet''s currency (its currency column, else the check''s currency option).';
COMMENT ON COLUMN recon.fix_step.stored_change IS
'What the step adds to the stored balances, per balance column, offset wallet included.';
COMMENT ON COLUMN recon.fix_step.ledger_change IS
'What the entries it posts add to the ledger''s effects, per balance column, both sides of a '
'double-entry posting included (0 for a balanced posting).';
COMMENT ON COLUMN recon.fix_step.evidence IS
'What the ledger shows about the wallet, on which the strategy was chosen: its running '
'balance (chain), its journals, or that the ledger keeps neither (docs/REPAIRS.md).';

ALTER TABLE _recon.fix_stage
ADD COLUMN currency text,
ADD COLUMN ledger_change jsonb NOT NULL DEFAULT '{}',
ADD COLUMN stored_change jsonb NOT NULL DEFAULT '{}',
ADD COLUMN evidence jsonb;
COMMENT ON COLUMN _recon.fix_stage.currency IS 'The wallet''s currency.';
COMMENT ON COLUMN _recon.fix_stage.ledger_change IS
'What its postings add to the ledger''s effects, per column, both sides.';
COMMENT ON COLUMN _recon.fix_stage.stored_change IS
'What it adds to the stored balances, per column, offset wallets included.';
COMMENT ON COLUMN _recon.fix_stage.evidence IS 'The ledger evidence the strategy was chosen on.';

-- the plan takes the findings selected by id
DROP FUNCTION IF EXISTS _recon.fix_plan(bigint, bigint, text[], text[], text);
