-- 0019 amounts per currency (issue 15 item 1) and overdraft exemptions (issue 16 item 5).
-- A check's tolerance and low_limit, and a fix policy's wallet_limit and run_limit, become
-- maps {"<currency>": amount, "*": amount}. "*" is a default that applies only where given; a
-- currency with no entry and no "*" has no limit (no LOW severity, no automatic repair). What
-- 0.1 stored carries over unchanged: a check's amounts become its currency's (its currency
-- option), or "*" for a check without one; a fix policy's become its check's. recon.checks and
-- the fix functions that take limits are dropped here; the repeatable layer creates them again
-- with the new types.
DROP VIEW IF EXISTS recon.checks;
DROP FUNCTION IF EXISTS recon.fix(
    bigint, boolean, text, text, text[], text[], text, numeric, numeric, bigint[]
);
DROP FUNCTION IF EXISTS _recon.fix_apply(
    bigint, bigint, text, text, name, numeric, numeric, boolean
);
DROP FUNCTION IF EXISTS _recon.fix_assess(bigint, numeric, numeric, boolean);

ALTER TABLE _recon.check_def
DROP CONSTRAINT check_def_tolerance,
DROP CONSTRAINT check_def_low_limit,
ALTER COLUMN tolerance DROP DEFAULT,
ALTER COLUMN low_limit DROP DEFAULT;
ALTER TABLE _recon.check_def
ALTER COLUMN tolerance TYPE jsonb USING CASE
    WHEN tolerance = 0 THEN '{}'::jsonb
    ELSE jsonb_build_object(coalesce(currency, '*'), tolerance)
END,
ALTER COLUMN low_limit TYPE jsonb USING jsonb_build_object(coalesce(currency, '*'), low_limit);
ALTER TABLE _recon.check_def
ALTER COLUMN tolerance SET DEFAULT '{}',
ALTER COLUMN low_limit SET DEFAULT '{}',
ADD CONSTRAINT check_def_tolerance CHECK (jsonb_typeof(tolerance) = 'object'),
ADD CONSTRAINT check_def_low_limit CHECK (jsonb_typeof(low_limit) = 'object');

-- A check that names no currency while its wallets or entries each carry one had one low_limit
-- for every currency (9.5 BTC as LOW as 9.5 JPY, and auto-fixed as such): it has none now, nor
-- do its fix policy's limits (give them per currency). Its tolerance is kept ("*").
DO $migrate$
DECLARE
    v_checks text;
BEGIN
    WITH per_row AS (
        SELECT c.name
        FROM _recon.check_def AS c
        WHERE c.currency IS NULL AND (
            EXISTS (SELECT FROM _recon.ledger_source AS l
                    WHERE l.name = c.ledger_source AND l.currency_column IS NOT NULL
                      AND c.kind IN ('journal', 'chain'))
            OR EXISTS (SELECT FROM _recon.wallet_source AS w
                       JOIN _recon.check_kind AS k ON k.kind = c.kind AND k.wallet_keyed
                       WHERE w.name = c.wallet_source AND w.currency_column IS NOT NULL
                         AND c.kind <> 'journal'))
    ), cleared AS (
        UPDATE _recon.check_def AS c SET low_limit = '{}'
        FROM per_row AS p WHERE p.name = c.name
        RETURNING c.name
    )
    SELECT string_agg(x.name, ', ' ORDER BY x.name) INTO v_checks FROM cleared AS x;
    IF v_checks IS NOT NULL THEN
        UPDATE _recon.fix_policy AS p SET wallet_limit = NULL, run_limit = NULL
        WHERE p.check_name = ANY (string_to_array(v_checks, ', '));
        RAISE NOTICE 'checks % name no currency while their wallets or entries each carry one: '
            'their low_limit and fix policy limits are cleared; give them per currency '
            '(docs/CHECKS.md "Amounts per currency")', v_checks;
    END IF;
END;
$migrate$;

COMMENT ON COLUMN _recon.check_def.tolerance IS
'Per currency, differences up to this (absolute) are rounding, not findings: {"USD": 0.01, '
'"*": 0}. A currency without an entry uses "*", else 0.';
COMMENT ON COLUMN _recon.check_def.low_limit IS
'Per currency, a single-wallet finding above this amount is MEDIUM, at or below it LOW '
'(runbook: R10): {"USD": 10, "JPY": 1000, "*": 5}. A currency without an entry uses "*"; '
'without either its findings are at least MEDIUM, and recon.fix() repairs none of them '
'automatically unless a wallet_limit is given for it.';

ALTER TABLE _recon.fix_policy
DROP CONSTRAINT fix_policy_wallet_limit,
DROP CONSTRAINT fix_policy_run_limit,
ADD COLUMN wallet_limits jsonb,
ADD COLUMN run_limits jsonb;
UPDATE _recon.fix_policy AS p
SET
    wallet_limits = CASE
        WHEN p.wallet_limit IS NOT NULL
            THEN jsonb_build_object(coalesce(c.currency, '*'), p.wallet_limit)
    END,
    run_limits = CASE
        WHEN p.run_limit IS NOT NULL
            THEN jsonb_build_object(coalesce(c.currency, '*'), p.run_limit)
    END
FROM _recon.check_def AS c
WHERE c.name = p.check_name;
ALTER TABLE _recon.fix_policy
DROP COLUMN wallet_limit,
DROP COLUMN run_limit;
ALTER TABLE _recon.fix_policy RENAME COLUMN wallet_limits TO wallet_limit;
ALTER TABLE _recon.fix_policy RENAME COLUMN run_limits TO run_limit;
ALTER TABLE _recon.fix_policy
ADD CONSTRAINT fix_policy_wallet_limit CHECK (jsonb_typeof(wallet_limit) = 'object'),
ADD CONSTRAINT fix_policy_run_limit CHECK (jsonb_typeof(run_limit) = 'object');

COMMENT ON COLUMN _recon.fix_policy.wallet_limit IS
'Per currency, the largest repair of one wallet recon.fix() applies: {"USD": 500, "*": 10}. '
'NULL: the check''s low_limit.';
COMMENT ON COLUMN _recon.fix_policy.run_limit IS
'Per currency, the largest total one recon.fix() call applies for this check. NULL: ten times '
'the wallet limit.';

-- Overdraft exemptions (issue 16 item 5): recon.fix() never leaves a stored balance below zero
-- (and below where it was), except where the owner says a wallet or a balance column may go
-- negative: an offset or world account, an inflight column, a ledger that allows negative
-- balances (recon.allow_overdraft).
CREATE TABLE _recon.overdraft_exemption (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wallet_source text NOT NULL REFERENCES _recon.wallet_source (name) ON DELETE CASCADE,
    wallet_key text CONSTRAINT overdraft_exemption_key CHECK (wallet_key <> ''),
    balance_column name,
    reason text NOT NULL CONSTRAINT overdraft_exemption_reason CHECK (btrim(reason) <> ''),
    set_at timestamptz NOT NULL DEFAULT now(),
    set_by name NOT NULL DEFAULT session_user
);
CREATE UNIQUE INDEX overdraft_exemption_scope ON _recon.overdraft_exemption (
    wallet_source, coalesce(wallet_key, ''), coalesce(balance_column, '')
);
COMMENT ON TABLE _recon.overdraft_exemption IS
'Where recon.fix() may leave a stored balance below zero (recon.allow_overdraft): one wallet, '
'one balance column of every wallet, one column of one wallet, or a whole wallet source.';
COMMENT ON COLUMN _recon.overdraft_exemption.id IS 'Exemption number.';
COMMENT ON COLUMN _recon.overdraft_exemption.wallet_source IS 'The wallet source.';
COMMENT ON COLUMN _recon.overdraft_exemption.wallet_key IS
'The wallet (its key as text); NULL: every wallet of the source.';
COMMENT ON COLUMN _recon.overdraft_exemption.balance_column IS
'The balance column; NULL: every balance column.';
COMMENT ON COLUMN _recon.overdraft_exemption.reason IS 'Why it may go negative.';
COMMENT ON COLUMN _recon.overdraft_exemption.set_at IS 'When it was set.';
COMMENT ON COLUMN _recon.overdraft_exemption.set_by IS 'Who set it (session_user).';
