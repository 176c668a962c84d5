-- Undo 0021. A fix policy of strategy resolve becomes none, the lifecycle kind's default
-- before 0021 (its findings are then manual again). Lifecycle checks registered with
-- "approved" or "canceled" keep them in their options; they are read by nothing then.
COMMENT ON COLUMN recon.fix_step.strategy IS
'adjust, resync, restore, post_missing, reverse, move, acknowledge, none or reversal.';
UPDATE _recon.check_kind
SET
    strategies = '{none,acknowledge}',
    options = array_remove(array_remove(options, 'approved'), 'canceled')
WHERE kind = 'lifecycle';
UPDATE _recon.fix_policy SET strategy = 'none'
WHERE strategy = 'resolve';
ALTER TABLE _recon.fix_policy DROP CONSTRAINT fix_policy_strategy;
ALTER TABLE _recon.fix_policy ADD CONSTRAINT fix_policy_strategy CHECK (strategy IN (
    'adjust', 'resync', 'post_missing', 'reverse', 'move', 'acknowledge', 'none'
));
COMMENT ON COLUMN _recon.fix_policy.strategy IS
'adjust, resync, post_missing, reverse, move, acknowledge or none (docs/REPAIRS.md).';
ALTER TABLE _recon.check_kind DROP CONSTRAINT check_kind_strategies;
ALTER TABLE _recon.check_kind ADD CONSTRAINT check_kind_strategies CHECK (
    cardinality(strategies) > 0
    AND strategies <@ ARRAY[
        'resync', 'adjust', 'move', 'post_missing', 'reverse', 'acknowledge', 'none'
    ]
);
