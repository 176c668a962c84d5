-- 0004 repairs: registered writers, fix policies, and the append-only audit of every repair.

CREATE TABLE _recon.writer (
    ledger_source text PRIMARY KEY REFERENCES _recon.ledger_source (name),
    kind text NOT NULL CONSTRAINT writer_kind CHECK (kind IN ('insert', 'function')),
    column_map jsonb NOT NULL DEFAULT '{}',
    posting_function regprocedure,
    offset_wallet text,
    reference text NOT NULL,
    description text NOT NULL,
    journal text,
    entry_types text[],
    options jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by name NOT NULL DEFAULT session_user,
    CONSTRAINT writer_function_kind CHECK ((kind = 'function') = (posting_function IS NOT NULL))
);
COMMENT ON TABLE _recon.writer IS
'How recon.fix() posts into a ledger (recon.register_writer): an INSERT built from a column '
'mapping, or the user''s own posting function.';
COMMENT ON COLUMN _recon.writer.ledger_source IS 'The ledger it posts into.';
COMMENT ON COLUMN _recon.writer.kind IS 'insert (column mapping) or function (posting function).';
COMMENT ON COLUMN _recon.writer.column_map IS
'insert: extra columns and their value templates, e.g. {"type": "ADJUSTMENT", "id": "{uuid}"}.';
COMMENT ON COLUMN _recon.writer.posting_function IS
'function: the posting function, fn(request jsonb) RETURNS jsonb (docs/REPAIRS.md).';
COMMENT ON COLUMN _recon.writer.offset_wallet IS
'Double entry: the offset (system) wallet every posting is balanced against.';
COMMENT ON COLUMN _recon.writer.reference IS
'Reference template of adjustments, e.g. RECON-{date}-{ticket}.';
COMMENT ON COLUMN _recon.writer.description IS 'Description template.';
COMMENT ON COLUMN _recon.writer.journal IS
'Journal (transaction id) template of the entries of one posting, e.g. recon-{uuid}.';
COMMENT ON COLUMN _recon.writer.entry_types IS
'Entry types (or directions) to prefer when several realise the same effect.';
COMMENT ON COLUMN _recon.writer.options IS 'The options it was registered with.';
COMMENT ON COLUMN _recon.writer.created_at IS 'When it was registered.';
COMMENT ON COLUMN _recon.writer.created_by IS 'Who registered it (session_user).';
COMMENT ON CONSTRAINT writer_function_kind ON _recon.writer IS
'A function writer names its function; an insert writer does not.';

CREATE TABLE _recon.fix_policy (
    check_name text PRIMARY KEY REFERENCES _recon.check_def (name) ON DELETE CASCADE,
    strategy text NOT NULL CONSTRAINT fix_policy_strategy CHECK (strategy IN (
        'adjust', 'resync', 'post_missing', 'reverse', 'move', 'acknowledge', 'none'
    )),
    wallet_limit numeric CONSTRAINT fix_policy_wallet_limit
    CHECK (wallet_limit >= 0 AND wallet_limit < 'Infinity'),
    run_limit numeric CONSTRAINT fix_policy_run_limit
    CHECK (run_limit >= 0 AND run_limit < 'Infinity'),
    options jsonb NOT NULL,
    set_at timestamptz NOT NULL DEFAULT now(),
    set_by name NOT NULL DEFAULT session_user
);
COMMENT ON TABLE _recon.fix_policy IS
'How recon.fix() repairs a check''s findings when told nothing else (recon.set_fix_policy).';
COMMENT ON COLUMN _recon.fix_policy.check_name IS 'The check.';
COMMENT ON COLUMN _recon.fix_policy.strategy IS
'adjust, resync, post_missing, reverse, move, acknowledge or none (docs/REPAIRS.md).';
COMMENT ON COLUMN _recon.fix_policy.wallet_limit IS
'Largest repair of one wallet recon.fix() applies, in the check''s currency.';
COMMENT ON COLUMN _recon.fix_policy.run_limit IS
'Largest total one recon.fix() call applies for this check, in the check''s currency.';
COMMENT ON COLUMN _recon.fix_policy.options IS 'The options it was set with.';
COMMENT ON COLUMN _recon.fix_policy.set_at IS 'When it was set.';
COMMENT ON COLUMN _recon.fix_policy.set_by IS 'Who set it (session_user).';

CREATE TABLE _recon.fix (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action text NOT NULL CONSTRAINT fix_action CHECK (action IN ('fix', 'reverse', 'backfill')),
    run_id bigint REFERENCES _recon.run (id),
    ticket text NOT NULL,
    reason text NOT NULL,
    request jsonb NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    applied_by name NOT NULL,
    session_user_name name NOT NULL DEFAULT session_user,
    txid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
COMMENT ON TABLE _recon.fix IS
'Every applied recon.fix(), recon.reverse_fix() and recon.backfill() call. Append-only.';
COMMENT ON COLUMN _recon.fix.id IS 'Fix number.';
COMMENT ON COLUMN _recon.fix.action IS 'fix, reverse or backfill.';
COMMENT ON COLUMN _recon.fix.run_id IS 'The run whose findings it repaired, if any.';
COMMENT ON COLUMN _recon.fix.ticket IS 'The ticket it was applied under.';
COMMENT ON COLUMN _recon.fix.reason IS 'Why it was applied.';
COMMENT ON COLUMN _recon.fix.request IS 'The arguments it was called with.';
COMMENT ON COLUMN _recon.fix.applied_at IS 'When.';
COMMENT ON COLUMN _recon.fix.applied_by IS
'The caller''s current_user (the role it had set, else its login).';
COMMENT ON COLUMN _recon.fix.session_user_name IS 'The caller''s session_user (its login).';
COMMENT ON COLUMN _recon.fix.txid IS
'The applying transaction: the write-path guards let its writes through (docs/GUARDS.md).';

CREATE TABLE _recon.repair (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fix_id bigint NOT NULL REFERENCES _recon.fix (id),
    repair_key text NOT NULL CONSTRAINT repair_once UNIQUE,
    step integer NOT NULL,
    finding_id bigint REFERENCES _recon.finding (id),
    check_name text,
    finding_key text,
    wallet_source text,
    wallet_key text,
    strategy text NOT NULL,
    amount numeric NOT NULL,
    difference numeric,
    moves jsonb NOT NULL,
    stored_before jsonb NOT NULL,
    stored_after jsonb NOT NULL,
    reverses bigint CONSTRAINT repair_reversed_once UNIQUE REFERENCES _recon.repair (id),
    ticket text NOT NULL,
    reason text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    applied_by name NOT NULL,
    session_user_name name NOT NULL DEFAULT session_user
);
CREATE INDEX repair_finding ON _recon.repair (finding_id);
COMMENT ON INDEX _recon.repair_finding IS 'Repairs of one finding.';
CREATE INDEX repair_acknowledged ON _recon.repair (check_name, finding_key)
WHERE strategy = 'acknowledge';
COMMENT ON INDEX _recon.repair_acknowledged IS
'Acknowledged findings, which recon.reconcile() no longer reports.';
COMMENT ON TABLE _recon.repair IS
'The audit of every repair applied: one row per step. Append-only; a repair is undone by a '
'later row that reverses it, never by changing this one.';
COMMENT ON COLUMN _recon.repair.id IS 'Repair number (the audit id).';
COMMENT ON COLUMN _recon.repair.fix_id IS 'The call that applied it.';
COMMENT ON COLUMN _recon.repair.repair_key IS
'What it repairs: finding:<id>:<run that last saw it>:<reversals>, reverse:<repair id>, '
'backfill:<source>:<owner>. '
'Unique, so the same repair is applied once however many times or sessions ask for it.';
COMMENT ON COLUMN _recon.repair.step IS 'Its step in the plan.';
COMMENT ON COLUMN _recon.repair.finding_id IS 'The finding it repaired, if any.';
COMMENT ON COLUMN _recon.repair.check_name IS 'The finding''s check.';
COMMENT ON COLUMN _recon.repair.finding_key IS 'The finding''s key within its check.';
COMMENT ON COLUMN _recon.repair.wallet_source IS 'The wallet source of the wallet.';
COMMENT ON COLUMN _recon.repair.wallet_key IS 'The wallet.';
COMMENT ON COLUMN _recon.repair.strategy IS
'adjust, resync, post_missing, reverse, move, acknowledge, covered, backfill or reversal.';
COMMENT ON COLUMN _recon.repair.amount IS 'How much it repaired (absolute).';
COMMENT ON COLUMN _recon.repair.difference IS
'The finding''s difference (stored - expected) it repaired, verified under the lock.';
COMMENT ON COLUMN _recon.repair.moves IS 'What it added to each stored balance column.';
COMMENT ON COLUMN _recon.repair.stored_before IS 'The wallet''s stored balances before.';
COMMENT ON COLUMN _recon.repair.stored_after IS 'The wallet''s stored balances after.';
COMMENT ON COLUMN _recon.repair.reverses IS 'The repair this one reverses (recon.reverse_fix).';
COMMENT ON COLUMN _recon.repair.ticket IS 'Ticket.';
COMMENT ON COLUMN _recon.repair.reason IS 'Reason.';
COMMENT ON COLUMN _recon.repair.applied_at IS 'When.';
COMMENT ON COLUMN _recon.repair.applied_by IS 'The caller''s current_user.';
COMMENT ON COLUMN _recon.repair.session_user_name IS 'The caller''s session_user.';

CREATE TABLE _recon.repair_entry (
    repair_id bigint NOT NULL REFERENCES _recon.repair (id),
    ledger_source text NOT NULL,
    wallet_key text NOT NULL,
    entry text,
    deltas jsonb NOT NULL,
    posting jsonb NOT NULL
);
CREATE INDEX repair_entry_repair ON _recon.repair_entry (repair_id);
COMMENT ON INDEX _recon.repair_entry_repair IS 'Entries of one repair.';
COMMENT ON TABLE _recon.repair_entry IS
'Every ledger entry a repair posted into the user''s ledger. Append-only.';
COMMENT ON COLUMN _recon.repair_entry.repair_id IS 'The repair.';
COMMENT ON COLUMN _recon.repair_entry.ledger_source IS 'The ledger it was posted into.';
COMMENT ON COLUMN _recon.repair_entry.wallet_key IS 'The wallet it moved.';
COMMENT ON COLUMN _recon.repair_entry.entry IS
'The entry''s id (or ordering id), as the writer reported it.';
COMMENT ON COLUMN _recon.repair_entry.deltas IS 'Its effect on each balance column.';
COMMENT ON COLUMN _recon.repair_entry.posting IS
'What was posted: entry type, amount, reference, journal, running balance.';

CREATE UNLOGGED TABLE _recon.fix_stage (
    stage_id bigint NOT NULL,
    step integer NOT NULL,
    finding_id bigint,
    check_name text,
    kind text,
    finding_key text,
    wallet_source text,
    wallet_key text,
    ledger_source text,
    strategy text NOT NULL,
    difference numeric,
    amount numeric,
    postings jsonb NOT NULL DEFAULT '[]',
    moves jsonb NOT NULL DEFAULT '{}',
    stored_before jsonb,
    stored_after jsonb,
    status text NOT NULL,
    note text,
    covered_by integer,
    repair_key text,
    repair_id bigint,
    PRIMARY KEY (stage_id, step)
);
COMMENT ON TABLE _recon.fix_stage IS
'Scratch space of a running recon.fix(): its plan, one row per step, before it is applied. '
'Emptied at the end of each call; unlogged (nothing to keep).';
COMMENT ON COLUMN _recon.fix_stage.stage_id IS 'The call (a number from fix_stage_seq).';
COMMENT ON COLUMN _recon.fix_stage.step IS 'Step number.';
COMMENT ON COLUMN _recon.fix_stage.finding_id IS 'The finding.';
COMMENT ON COLUMN _recon.fix_stage.check_name IS 'Its check.';
COMMENT ON COLUMN _recon.fix_stage.kind IS 'The check''s kind.';
COMMENT ON COLUMN _recon.fix_stage.finding_key IS 'The finding''s key.';
COMMENT ON COLUMN _recon.fix_stage.wallet_source IS 'The wallet source.';
COMMENT ON COLUMN _recon.fix_stage.wallet_key IS 'The wallet.';
COMMENT ON COLUMN _recon.fix_stage.ledger_source IS 'The ledger it posts into, if it posts.';
COMMENT ON COLUMN _recon.fix_stage.strategy IS 'The repair.';
COMMENT ON COLUMN _recon.fix_stage.difference IS 'The finding''s difference.';
COMMENT ON COLUMN _recon.fix_stage.amount IS 'How much it repairs (absolute).';
COMMENT ON COLUMN _recon.fix_stage.postings IS 'Entries to post: wallet, deltas, purpose.';
COMMENT ON COLUMN _recon.fix_stage.moves IS 'What it adds to each stored balance column.';
COMMENT ON COLUMN _recon.fix_stage.stored_before IS 'Stored balances before.';
COMMENT ON COLUMN _recon.fix_stage.stored_after IS 'Stored balances after.';
COMMENT ON COLUMN _recon.fix_stage.status IS 'planned, applied, covered, manual or skipped.';
COMMENT ON COLUMN _recon.fix_stage.note IS 'Why it was skipped, or what covers it.';
COMMENT ON COLUMN _recon.fix_stage.covered_by IS 'The step whose repair also repairs this one.';
COMMENT ON COLUMN _recon.fix_stage.repair_key IS 'Its unique repair key.';
COMMENT ON COLUMN _recon.fix_stage.repair_id IS 'Its audit row, once applied.';

CREATE INDEX fix_stage_wallet ON _recon.fix_stage (stage_id, wallet_source, wallet_key);
COMMENT ON INDEX _recon.fix_stage_wallet IS 'The steps of one wallet in a staged plan.';
CREATE INDEX fix_stage_finding ON _recon.fix_stage (stage_id, check_name, finding_key);
COMMENT ON INDEX _recon.fix_stage_finding IS 'The step of one finding in a staged plan.';

CREATE SEQUENCE _recon.fix_stage_seq;
COMMENT ON SEQUENCE _recon.fix_stage_seq IS 'Numbers recon.fix() calls in _recon.fix_stage.';
