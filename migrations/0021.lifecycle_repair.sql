-- 0021 lifecycle repairs: a hold left open by an approved transaction is committed, one left by
-- a canceled transaction released, an extra resolution reversed (strategy "resolve", the
-- lifecycle kind's default now), chosen on the transaction's status and entries
-- (_recon.fix_lifecycle). The lifecycle kind takes "approved" and "canceled": the statuses
-- that say which.
ALTER TABLE _recon.check_kind DROP CONSTRAINT check_kind_strategies;
ALTER TABLE _recon.check_kind ADD CONSTRAINT check_kind_strategies CHECK (
    cardinality(strategies) > 0
    AND strategies <@ ARRAY[
        'resync', 'adjust', 'move', 'post_missing', 'reverse', 'resolve', 'acknowledge', 'none'
    ]
);
ALTER TABLE _recon.fix_policy DROP CONSTRAINT fix_policy_strategy;
ALTER TABLE _recon.fix_policy ADD CONSTRAINT fix_policy_strategy CHECK (strategy IN (
    'adjust', 'resync', 'post_missing', 'reverse', 'move', 'resolve', 'acknowledge', 'none'
));
COMMENT ON COLUMN _recon.fix_policy.strategy IS
'adjust, resync, post_missing, reverse, move, resolve, acknowledge or none (docs/REPAIRS.md).';

UPDATE _recon.check_kind
SET
    strategies = '{resolve,none,acknowledge}',
    options = options || '{approved,canceled}'::text[]
WHERE kind = 'lifecycle';
COMMENT ON COLUMN recon.fix_step.strategy IS
'adjust, resync, restore, post_missing, reverse, move, resolve, acknowledge, none or reversal.';
