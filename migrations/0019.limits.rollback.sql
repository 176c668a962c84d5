-- Undo 0019: each map becomes one amount again: its check's currency's entry, else "*", else
-- the smallest amount of the map (never looser than any currency had), else 0 (no limit: the
-- strictest one amount). Amounts for other currencies are lost.
DROP VIEW IF EXISTS recon.checks;
DROP VIEW IF EXISTS recon.overdraft_exemptions;
DROP FUNCTION IF EXISTS recon.allow_overdraft(text, text, text, text);
DROP FUNCTION IF EXISTS recon.forbid_overdraft(text, text, text);
DROP TABLE _recon.overdraft_exemption;
DROP FUNCTION IF EXISTS recon.fix(
    bigint, boolean, text, text, text[], text[], text, numeric, numeric, bigint[], jsonb, jsonb
);
DROP FUNCTION IF EXISTS _recon.fix_apply(
    bigint, bigint, text, text, name, jsonb, jsonb, boolean
);
DROP FUNCTION IF EXISTS _recon.fix_assess(bigint, jsonb, jsonb, boolean);

ALTER TABLE _recon.check_def
DROP CONSTRAINT check_def_tolerance,
DROP CONSTRAINT check_def_low_limit,
ADD COLUMN tolerance_amount numeric,
ADD COLUMN low_limit_amount numeric;
UPDATE _recon.check_def AS c
SET
    tolerance_amount = coalesce(
        (c.tolerance ->> coalesce(c.currency, '*'))::numeric, (c.tolerance ->> '*')::numeric,
        (SELECT min(e.value::numeric) FROM jsonb_each_text(c.tolerance) AS e), 0
    ),
    low_limit_amount = coalesce(
        (c.low_limit ->> coalesce(c.currency, '*'))::numeric, (c.low_limit ->> '*')::numeric,
        (SELECT min(e.value::numeric) FROM jsonb_each_text(c.low_limit) AS e), 0
    );
ALTER TABLE _recon.check_def
DROP COLUMN tolerance,
DROP COLUMN low_limit;
ALTER TABLE _recon.check_def RENAME COLUMN tolerance_amount TO tolerance;
ALTER TABLE _recon.check_def RENAME COLUMN low_limit_amount TO low_limit;
ALTER TABLE _recon.check_def
ALTER COLUMN tolerance SET NOT NULL,
ALTER COLUMN low_limit SET NOT NULL,
ALTER COLUMN tolerance SET DEFAULT 0,
ALTER COLUMN low_limit SET DEFAULT 10,
ADD CONSTRAINT check_def_tolerance CHECK (tolerance >= 0 AND tolerance < 'Infinity'),
ADD CONSTRAINT check_def_low_limit CHECK (low_limit >= 0 AND low_limit < 'Infinity');
COMMENT ON COLUMN _recon.check_def.tolerance IS
'Differences up to this (absolute) are rounding, not findings.';
COMMENT ON COLUMN _recon.check_def.low_limit IS
'A single-wallet finding above this amount is MEDIUM, at or below it LOW (runbook: R10).';

ALTER TABLE _recon.fix_policy
DROP CONSTRAINT fix_policy_wallet_limit,
DROP CONSTRAINT fix_policy_run_limit,
ADD COLUMN wallet_amount numeric,
ADD COLUMN run_amount numeric;
UPDATE _recon.fix_policy AS p
SET
    wallet_amount = coalesce(
        (p.wallet_limit ->> coalesce(c.currency, '*'))::numeric,
        (p.wallet_limit ->> '*')::numeric,
        (SELECT min(e.value::numeric) FROM jsonb_each_text(p.wallet_limit) AS e)
    ),
    run_amount = coalesce(
        (p.run_limit ->> coalesce(c.currency, '*'))::numeric,
        (p.run_limit ->> '*')::numeric,
        (SELECT min(e.value::numeric) FROM jsonb_each_text(p.run_limit) AS e)
    )
FROM _recon.check_def AS c
WHERE c.name = p.check_name;
ALTER TABLE _recon.fix_policy
DROP COLUMN wallet_limit,
DROP COLUMN run_limit;
ALTER TABLE _recon.fix_policy RENAME COLUMN wallet_amount TO wallet_limit;
ALTER TABLE _recon.fix_policy RENAME COLUMN run_amount TO run_limit;
ALTER TABLE _recon.fix_policy
ADD CONSTRAINT fix_policy_wallet_limit CHECK (wallet_limit >= 0 AND wallet_limit < 'Infinity'),
ADD CONSTRAINT fix_policy_run_limit CHECK (run_limit >= 0 AND run_limit < 'Infinity');
COMMENT ON COLUMN _recon.fix_policy.wallet_limit IS
'Largest repair of one wallet recon.fix() applies, in the check''s currency.';
COMMENT ON COLUMN _recon.fix_policy.run_limit IS
'Largest total one recon.fix() call applies for this check, in the check''s currency.';
