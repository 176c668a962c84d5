-- 0002 check engine: registered sources and checks, runs, findings and their history.
-- Migrations run with search_path = _recon; every name is qualified anyway.

CREATE TABLE _recon.wallet_source (
    name text PRIMARY KEY CONSTRAINT wallet_source_name_format
    CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
    relid oid NOT NULL,
    key_column name NOT NULL,
    balance_columns name[] NOT NULL CONSTRAINT wallet_source_has_balances
    CHECK (cardinality(balance_columns) > 0),
    currency_column name,
    owner_column name,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by name NOT NULL DEFAULT session_user
);
COMMENT ON TABLE _recon.wallet_source IS
'Registered wallet tables: a key and the stored balance columns (recon.register_wallet_source).';
COMMENT ON COLUMN _recon.wallet_source.name IS 'Source name: lower case, digits, _; at most 40.';
COMMENT ON COLUMN _recon.wallet_source.relid IS
'The user''s table (pg_class oid; survives renames).';
COMMENT ON COLUMN _recon.wallet_source.key_column IS 'Wallet key column.';
COMMENT ON COLUMN _recon.wallet_source.balance_columns IS 'Stored balance columns, numeric.';
COMMENT ON COLUMN _recon.wallet_source.currency_column IS 'Optional currency column.';
COMMENT ON COLUMN _recon.wallet_source.owner_column IS 'Optional owner column (coverage checks).';
COMMENT ON COLUMN _recon.wallet_source.created_at IS 'When it was registered.';
COMMENT ON COLUMN _recon.wallet_source.created_by IS 'Who registered it (session_user).';

CREATE TABLE _recon.ledger_source (
    name text PRIMARY KEY CONSTRAINT ledger_source_name_format
    CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
    wallet_source text NOT NULL REFERENCES _recon.wallet_source (name),
    relid oid NOT NULL,
    wallet_column name NOT NULL,
    amount_column name NOT NULL,
    amount_mode text NOT NULL CONSTRAINT ledger_source_amount_mode
    CHECK (amount_mode IN ('signed', 'direction', 'operation')),
    effects jsonb NOT NULL,
    direction_column name,
    operation_column name,
    entry_id_column name,
    reference_column name,
    posted_at_column name,
    order_column name,
    balance_after_column name,
    version_column name,
    journal_column name,
    status_column name,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by name NOT NULL DEFAULT session_user
);
COMMENT ON TABLE _recon.ledger_source IS
'Registered ledger (entries) tables and how an entry moves balances '
'(recon.register_ledger_source).';
COMMENT ON COLUMN _recon.ledger_source.name IS 'Source name: lower case, digits, _; at most 40.';
COMMENT ON COLUMN _recon.ledger_source.wallet_source IS
'The wallet source whose balances it moves.';
COMMENT ON COLUMN _recon.ledger_source.relid IS
'The user''s table (pg_class oid; survives renames).';
COMMENT ON COLUMN _recon.ledger_source.wallet_column IS 'Column holding the wallet key.';
COMMENT ON COLUMN _recon.ledger_source.amount_column IS 'Amount column, numeric.';
COMMENT ON COLUMN _recon.ledger_source.amount_mode IS
'signed: the amount is signed; direction: amount + credit/debit column; '
'operation: amount + operation type mapped to effects on balance columns.';
COMMENT ON COLUMN _recon.ledger_source.effects IS
'Effect of an entry on each balance column: {"<balance column>": {"<value>": multiplier}}; '
'the value is "*" for signed mode, the direction or operation value otherwise.';
COMMENT ON COLUMN _recon.ledger_source.direction_column IS 'direction mode: credit/debit column.';
COMMENT ON COLUMN _recon.ledger_source.operation_column IS 'operation mode: operation type column.';
COMMENT ON COLUMN _recon.ledger_source.entry_id_column IS 'Optional entry id, named in findings.';
COMMENT ON COLUMN _recon.ledger_source.reference_column IS
'Optional reference (duplicate, orphan).';
COMMENT ON COLUMN _recon.ledger_source.posted_at_column IS 'Optional posting time.';
COMMENT ON COLUMN _recon.ledger_source.order_column IS 'Optional ordering id (chain checks).';
COMMENT ON COLUMN _recon.ledger_source.balance_after_column IS 'Optional running balance (chain).';
COMMENT ON COLUMN _recon.ledger_source.version_column IS
'Optional per-wallet version (chain gaps).';
COMMENT ON COLUMN _recon.ledger_source.journal_column IS 'Optional journal/transaction id.';
COMMENT ON COLUMN _recon.ledger_source.status_column IS 'Optional status column.';
COMMENT ON COLUMN _recon.ledger_source.created_at IS 'When it was registered.';
COMMENT ON COLUMN _recon.ledger_source.created_by IS 'Who registered it (session_user).';

CREATE TABLE _recon.check_def (
    name text PRIMARY KEY CONSTRAINT check_def_name_format
    CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
    kind text NOT NULL CONSTRAINT check_def_kind CHECK (kind IN (
        'balance', 'derived', 'total', 'coverage', 'duplicate', 'orphan', 'chain',
        'journal', 'lifecycle', 'custom'
    )),
    options jsonb NOT NULL,
    wallet_source text REFERENCES _recon.wallet_source (name),
    ledger_source text REFERENCES _recon.ledger_source (name),
    view_name name NOT NULL UNIQUE,
    compiled_sql text NOT NULL,
    enabled boolean NOT NULL DEFAULT TRUE,
    currency text,
    tolerance numeric NOT NULL DEFAULT 0 CONSTRAINT check_def_tolerance
    CHECK (tolerance >= 0 AND tolerance < 'Infinity'),
    low_limit numeric NOT NULL DEFAULT 10 CONSTRAINT check_def_low_limit
    CHECK (low_limit >= 0 AND low_limit < 'Infinity'),
    high_wallets integer NOT NULL DEFAULT 2 CONSTRAINT check_def_high_wallets
    CHECK (high_wallets >= 2),
    critical_wallets integer NOT NULL DEFAULT 10,
    pattern_wallets integer NOT NULL DEFAULT 5,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by name NOT NULL DEFAULT session_user,
    CONSTRAINT check_def_critical_above_high CHECK (critical_wallets > high_wallets),
    CONSTRAINT check_def_pattern_min CHECK (pattern_wallets >= 2)
);
COMMENT ON TABLE _recon.check_def IS
'Registered checks, each compiled once to a view recon.check_<name> (recon.register_check).';
COMMENT ON COLUMN _recon.check_def.name IS 'Check name: lower case, digits, _; at most 40.';
COMMENT ON COLUMN _recon.check_def.kind IS 'balance, derived, total, coverage, duplicate, orphan, '
'chain, journal, lifecycle or custom (docs/CHECKS.md).';
COMMENT ON COLUMN _recon.check_def.options IS 'The options it was registered with.';
COMMENT ON COLUMN _recon.check_def.wallet_source IS 'Wallet source it reads, if any.';
COMMENT ON COLUMN _recon.check_def.ledger_source IS 'Ledger source it reads, if any.';
COMMENT ON COLUMN _recon.check_def.view_name IS 'Its view in schema recon.';
COMMENT ON COLUMN _recon.check_def.compiled_sql IS 'The set-based query the view runs.';
COMMENT ON COLUMN _recon.check_def.enabled IS 'Disabled checks are left out of '
'recon.discrepancies and of recon.reconcile().';
COMMENT ON COLUMN _recon.check_def.currency IS 'Currency of its amounts and thresholds (a label).';
COMMENT ON COLUMN _recon.check_def.tolerance IS
'Differences up to this (absolute) are rounding, not findings.';
COMMENT ON COLUMN _recon.check_def.low_limit IS
'A single-wallet finding above this amount is MEDIUM, at or below it LOW (runbook: R10).';
COMMENT ON COLUMN _recon.check_def.high_wallets IS
'From this many wallets with findings in one run, the findings are HIGH.';
COMMENT ON COLUMN _recon.check_def.critical_wallets IS
'From this many wallets with findings in one run, the findings are CRITICAL (systematic).';
COMMENT ON COLUMN _recon.check_def.pattern_wallets IS
'From this many wallets sharing one cause (or one hour), the findings are CRITICAL.';
COMMENT ON COLUMN _recon.check_def.created_at IS 'When it was registered.';
COMMENT ON COLUMN _recon.check_def.created_by IS 'Who registered it (session_user).';
COMMENT ON CONSTRAINT check_def_critical_above_high ON _recon.check_def IS
'CRITICAL needs more wallets than HIGH.';
COMMENT ON CONSTRAINT check_def_pattern_min ON _recon.check_def IS
'A pattern is at least two wallets.';

CREATE TABLE _recon.run (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    mode text NOT NULL CONSTRAINT run_mode CHECK (mode IN ('full', 'incremental')),
    checks text[] NOT NULL,
    status text NOT NULL DEFAULT 'running' CONSTRAINT run_status
    CHECK (status IN ('running', 'synced', 'discrepancy')),
    summary jsonb,
    started_by name NOT NULL DEFAULT session_user
);
COMMENT ON TABLE _recon.run IS 'One row per recon.reconcile() call.';
COMMENT ON COLUMN _recon.run.id IS 'Run number.';
COMMENT ON COLUMN _recon.run.started_at IS 'When it started.';
COMMENT ON COLUMN _recon.run.finished_at IS 'When it finished; NULL while running.';
COMMENT ON COLUMN _recon.run.mode IS 'full or incremental.';
COMMENT ON COLUMN _recon.run.checks IS 'The checks it ran.';
COMMENT ON COLUMN _recon.run.status IS 'running, synced (no findings) or discrepancy.';
COMMENT ON COLUMN _recon.run.summary IS 'The JSON summary recon.reconcile() returned.';
COMMENT ON COLUMN _recon.run.started_by IS 'session_user of the caller.';

CREATE TABLE _recon.finding (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    check_name text NOT NULL,
    finding_key text NOT NULL,
    wallet_key text,
    first_seen_run bigint NOT NULL REFERENCES _recon.run (id),
    last_seen_run bigint NOT NULL REFERENCES _recon.run (id),
    resolved_run bigint REFERENCES _recon.run (id),
    dropped_at timestamptz,
    stored numeric,
    expected numeric,
    difference numeric,
    severity text NOT NULL CONSTRAINT finding_severity
    CHECK (severity IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
    cause text,
    details jsonb NOT NULL
);
CREATE UNIQUE INDEX finding_open_key ON _recon.finding (check_name, finding_key)
WHERE resolved_run IS NULL AND dropped_at IS NULL;
COMMENT ON INDEX _recon.finding_open_key IS 'At most one open finding per check and key.';
COMMENT ON TABLE _recon.finding IS
'Findings as open issues: seen first and last in a run, resolved by a later run that no longer '
'sees them. A finding that comes back after resolution is a new row.';
COMMENT ON COLUMN _recon.finding.id IS 'Finding number.';
COMMENT ON COLUMN _recon.finding.check_name IS 'The check that found it.';
COMMENT ON COLUMN _recon.finding.finding_key IS
'Identity within the check: wallet key, plus the item (column, reference, entry) where a check '
'can find several things per wallet.';
COMMENT ON COLUMN _recon.finding.wallet_key IS 'Wallet key as text; NULL for totals and journals.';
COMMENT ON COLUMN _recon.finding.first_seen_run IS 'Run that first saw it.';
COMMENT ON COLUMN _recon.finding.last_seen_run IS 'Latest run that saw it.';
COMMENT ON COLUMN _recon.finding.resolved_run IS 'Run that no longer saw it; NULL while open.';
COMMENT ON COLUMN _recon.finding.dropped_at IS
'When its check was dropped (recon.drop_check): no longer open, kept as history.';
COMMENT ON COLUMN _recon.finding.stored IS 'Stored value, as last seen.';
COMMENT ON COLUMN _recon.finding.expected IS 'Expected value, as last seen.';
COMMENT ON COLUMN _recon.finding.difference IS 'stored - expected, as last seen.';
COMMENT ON COLUMN _recon.finding.severity IS 'LOW, MEDIUM, HIGH or CRITICAL, as last seen.';
COMMENT ON COLUMN _recon.finding.cause IS 'Suspected cause, where one can be shown.';
COMMENT ON COLUMN _recon.finding.details IS 'What the check reported, plus the cause''s evidence.';

CREATE TABLE _recon.observation (
    run_id bigint NOT NULL REFERENCES _recon.run (id),
    finding_id bigint NOT NULL REFERENCES _recon.finding (id),
    stored numeric,
    expected numeric,
    difference numeric,
    severity text NOT NULL,
    PRIMARY KEY (run_id, finding_id)
);
CREATE INDEX observation_finding ON _recon.observation (finding_id);
COMMENT ON INDEX _recon.observation_finding IS 'History of one finding across runs.';
COMMENT ON TABLE _recon.observation IS
'Every finding seen by every run: the history behind a finding.';
COMMENT ON COLUMN _recon.observation.run_id IS 'The run.';
COMMENT ON COLUMN _recon.observation.finding_id IS 'The finding it saw.';
COMMENT ON COLUMN _recon.observation.stored IS 'Stored value in that run.';
COMMENT ON COLUMN _recon.observation.expected IS 'Expected value in that run.';
COMMENT ON COLUMN _recon.observation.difference IS 'stored - expected in that run.';
COMMENT ON COLUMN _recon.observation.severity IS 'Severity in that run.';

CREATE UNLOGGED TABLE _recon.run_stage (
    run_id bigint NOT NULL,
    check_name text NOT NULL,
    finding_key text NOT NULL,
    wallet_key text,
    stored numeric,
    expected numeric,
    difference numeric,
    details jsonb NOT NULL,
    cause text,
    severity text,
    PRIMARY KEY (run_id, check_name, finding_key)
);
COMMENT ON TABLE _recon.run_stage IS
'Scratch space of a running recon.reconcile(): its findings before they are classified and '
'merged into _recon.finding. Emptied at the end of each run; unlogged (nothing to keep).';
COMMENT ON COLUMN _recon.run_stage.run_id IS 'The run.';
COMMENT ON COLUMN _recon.run_stage.check_name IS 'The check.';
COMMENT ON COLUMN _recon.run_stage.finding_key IS 'Identity within the check.';
COMMENT ON COLUMN _recon.run_stage.wallet_key IS 'Wallet key as text.';
COMMENT ON COLUMN _recon.run_stage.stored IS 'Stored value.';
COMMENT ON COLUMN _recon.run_stage.expected IS 'Expected value.';
COMMENT ON COLUMN _recon.run_stage.difference IS 'stored - expected.';
COMMENT ON COLUMN _recon.run_stage.details IS 'What the check reported.';
COMMENT ON COLUMN _recon.run_stage.cause IS 'Suspected cause.';
COMMENT ON COLUMN _recon.run_stage.severity IS 'Severity once classified.';

-- The union of every enabled check, rebuilt by _recon.rebuild_discrepancies(); empty until
-- the first check is registered.
CREATE VIEW recon.discrepancies AS
SELECT
    NULL::text AS check_name,
    NULL::text AS wallet_key,
    NULL::numeric AS stored,
    NULL::numeric AS expected,
    NULL::numeric AS difference,
    NULL::jsonb AS details
WHERE FALSE;
COMMENT ON VIEW recon.discrepancies IS
'Every finding of every enabled check right now: check_name, wallet_key, stored, expected, '
'difference (stored - expected), details. Rebuilt when checks are registered, enabled, '
'disabled or dropped. recon.reconcile() records them with severity and cause.';
REVOKE ALL ON recon.discrepancies FROM PUBLIC;
GRANT SELECT ON recon.discrepancies TO recon_auditor, recon_operator;
