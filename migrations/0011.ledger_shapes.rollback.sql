-- Undo 0011. Sources registered with a new shape cannot be carried back: the rollback refuses
-- while one exists (drop it first), so that nothing is silently lost.
DO $do$
BEGIN
    IF EXISTS (
        SELECT FROM _recon.ledger_source AS l
        WHERE l.shape <> 'entries' OR l.filters IS NOT NULL OR l.parents IS NOT NULL
            OR l.kinds IS NOT NULL OR l.after_columns IS NOT NULL
    ) THEN
        RAISE EXCEPTION 'ledger sources use shapes 0.1 cannot read'
            USING ERRCODE = 'RC108',
                  HINT = 'Drop them (recon.drop_source) before rolling back 0011.';
    END IF;
END;
$do$;
ALTER TABLE _recon.wallet_source DROP COLUMN label_column;
ALTER TABLE _recon.ledger_source
DROP CONSTRAINT ledger_source_wallet_column,
DROP COLUMN after_columns,
DROP COLUMN kinds,
DROP COLUMN parents,
DROP COLUMN filters,
DROP COLUMN credit_wallet_column,
DROP COLUMN debit_wallet_column,
DROP COLUMN leg_columns,
DROP COLUMN shape;
ALTER TABLE _recon.ledger_source ALTER COLUMN wallet_column SET NOT NULL;
DROP TABLE _recon.ledger_shape;
