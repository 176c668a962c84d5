-- 0012 a check-kind registry: one row per kind of check (its options, its compiler, the repairs
-- its findings allow, the part it plays in reconcile's causes) instead of the kind lists that
-- were spread over register_check, _fix_strategies, _recompile_checks, reconcile and the CHECK
-- constraint check_def_kind. A new kind is one compiler function and one row here
-- (docs/CHECKS.md, "Adding a check kind").
-- The compiler is kept by name, not as a regprocedure: the repeatable layer creates the
-- compilers after this migration, and may drop and create them again (a rollback, a changed
-- signature), which would leave an OID dangling.

CREATE TABLE _recon.check_kind (
    kind text PRIMARY KEY CONSTRAINT check_kind_name_format
    CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$'),
    options text[] NOT NULL DEFAULT '{}',
    required text[] NOT NULL DEFAULT '{}',
    compiler text NOT NULL,
    strategies text[] NOT NULL DEFAULT '{none,acknowledge}',
    cause_roles text[] NOT NULL DEFAULT '{}',
    user_query boolean NOT NULL DEFAULT FALSE,
    description text NOT NULL,
    CONSTRAINT check_kind_required_allowed CHECK (required <@ options),
    CONSTRAINT check_kind_strategies CHECK (
        cardinality(strategies) > 0
        AND strategies <@ ARRAY[
            'resync', 'adjust', 'move', 'post_missing', 'reverse', 'acknowledge', 'none'
        ]
    ),
    CONSTRAINT check_kind_cause_roles CHECK (
        cause_roles <@ ARRAY[
            'explained', 'payment', 'amount', 'break', 'total', 'missing_wallet', 'pattern'
        ]
    )
);
COMMENT ON TABLE _recon.check_kind IS
'The check kinds recon.register_check() knows, one row each: the options a check of the kind '
'takes, its compiler, its repair strategies and its part in reconcile''s causes. Adding a kind '
'is one compiler function and one row (docs/CHECKS.md, "Adding a check kind"); read it as '
'recon.kinds.';
COMMENT ON COLUMN _recon.check_kind.kind IS
'Kind name, as register_check takes it: lower case, digits, _; at most 40.';
COMMENT ON COLUMN _recon.check_kind.options IS
'Options a check of this kind takes, besides the common ones (tolerance, low_limit, '
'high_wallets, critical_wallets, pattern_wallets, currency); any other key is RC106.';
COMMENT ON COLUMN _recon.check_kind.required IS
'Options that must be given (not null); a subset of options.';
COMMENT ON COLUMN _recon.check_kind.compiler IS
'Schema-qualified name of the function compiler(p_name text, p_options jsonb) RETURNS text '
'that compiles a check to the SELECT of its view (the common row shape, docs/CHECKS.md §3).';
COMMENT ON COLUMN _recon.check_kind.strategies IS
'The repairs recon.fix() can apply to its findings, the default first (docs/REPAIRS.md); '
'none and acknowledge fit every kind, the others only findings shaped as the built-in kind '
'they were written for.';
COMMENT ON COLUMN _recon.check_kind.cause_roles IS
'Its part in reconcile''s causes (docs/CHECKS.md §4): explained (a finding whose cause is '
'looked for in another finding on the same wallet), payment, amount, break (explains such a '
'finding: by payments summing to minus it, by the same absolute amount, by any break on the '
'wallet; tried in that order), total (a total explained by missing wallets), missing_wallet '
'(explains a total by what its findings expect), pattern (a cause shared by pattern_wallets '
'wallets makes its findings CRITICAL: the cause explains rather than defines them).';
COMMENT ON COLUMN _recon.check_kind.user_query IS
'The compiled SQL is the user''s own query (custom): bound on the caller''s search_path, RC110 '
'when it does not compile, refused when it would run another role''s code as the toolkit '
'owner, never compiled again by an upgrade, its details not read as the toolkit''s.';
COMMENT ON COLUMN _recon.check_kind.description IS 'What its findings are, in one line.';

INSERT INTO _recon.check_kind (
    kind, options, required, compiler, strategies, cause_roles, user_query, description
) VALUES
(
    'balance', '{ledger,columns}', '{ledger}', '_recon.compile_balance',
    '{resync,adjust,acknowledge,none}', '{explained,pattern}', FALSE,
    'A stored balance column that differs from the sum of the ledger''s effects on it.'
),
(
    'derived',
    '{wallet,column,table,key_column,value_column,minus_column,filter_column,filter_values,'
    'wallet_column}',
    '{wallet,column,table,key_column,value_column}', '_recon.compile_derived',
    '{move,acknowledge,none}', '{explained,pattern}', FALSE,
    'A stored column that differs from an aggregate over another table.'
),
(
    'total', '{stored,expected}', '{stored,expected}', '_recon.compile_total',
    '{none,acknowledge}', '{total,pattern}', FALSE,
    'A sum over one table that differs from a sum over another.'
),
(
    'coverage',
    '{wallet,owner_table,owner_key,owner_balance,wallet_column,exclude_column,exclude_values}',
    '{wallet,owner_table,owner_key}', '_recon.compile_coverage',
    '{none,acknowledge}', '{missing_wallet}', FALSE,
    'An owner with no wallet.'
),
(
    'duplicate', '{ledger,scope}', '{ledger}', '_recon.compile_duplicate',
    '{reverse,acknowledge,none}', '{amount}', FALSE,
    'The same reference posted twice in the same direction.'
),
(
    'orphan', '{ledger,table,id_column,amount_column,wallet_column,filters,like}',
    '{ledger,table,id_column,amount_column}', '_recon.compile_orphan',
    '{post_missing,acknowledge,none}', '{payment}', FALSE,
    'A completed payment that no ledger entry references.'
),
(
    'chain', '{ledger,column}', '{ledger}', '_recon.compile_chain',
    '{none,acknowledge}', '{break}', FALSE,
    'A break in a running balance, or a gap in a per-wallet version.'
),
(
    'journal', '{ledger}', '{ledger}', '_recon.compile_journal',
    '{none,acknowledge}', '{}', FALSE,
    'A journal transaction whose debits and credits differ.'
),
(
    'lifecycle',
    '{ledger,hold,terminal,status_table,status_key,status_column,pending,max_pending}',
    '{ledger,hold,terminal}', '_recon.compile_lifecycle',
    '{none,acknowledge}', '{}', FALSE,
    'A hold never resolved, resolved twice, or resolved for more than it holds.'
),
(
    'custom', '{query,wallet}', '{query}', '_recon.compile_custom',
    '{none,acknowledge}', '{pattern}', TRUE,
    'Your own query returning the common row shape.'
);

-- A check's kind is a registered kind; a kind in use cannot be deleted.
ALTER TABLE _recon.check_def DROP CONSTRAINT check_def_kind;
ALTER TABLE _recon.check_def
ADD CONSTRAINT check_def_kind FOREIGN KEY (kind) REFERENCES _recon.check_kind (kind);
COMMENT ON COLUMN _recon.check_def.kind IS
'Its kind, a row of _recon.check_kind (recon.kinds; docs/CHECKS.md).';
