-- Undo 0021. A fix policy of strategy resolve makes the rollback fail (23514) and change
-- nothing: set another first (recon.set_fix_policy). Lifecycle checks registered with
-- "approved" or "canceled" keep them in their options; they are read by nothing then.
UPDATE _recon.check_kind
SET
    strategies = '{none,acknowledge}',
    options = array_remove(array_remove(options, 'approved'), 'canceled')
WHERE kind = 'lifecycle';
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
