-- 0011 ledger shapes: a ledger source may be transfer rows (a debit and a credit wallet per
-- row), count only the rows its filters keep, read columns of parent rows through a registered
-- key, key its effects on several columns, and carry a running balance per balance column. A
-- wallet source may name a label column. Every check reads a ledger through its canonical legs
-- relation (_recon.legs_sql), compiled from these columns. Sources registered by 0.1 keep their
-- rows as they are: the new columns are NULL, or 'entries' for the shape.

ALTER TABLE _recon.ledger_source
ADD COLUMN shape text NOT NULL DEFAULT 'entries' CONSTRAINT ledger_source_shape
CHECK (shape IN ('entries', 'transfer')),
ADD COLUMN debit_wallet_column name,
ADD COLUMN credit_wallet_column name,
ADD COLUMN filters jsonb,
ADD COLUMN parents jsonb,
ADD COLUMN kinds jsonb,
ADD COLUMN after_columns jsonb,
ADD CONSTRAINT ledger_source_transfer_wallets CHECK (
    (shape = 'transfer') = (debit_wallet_column IS NOT NULL AND credit_wallet_column IS NOT NULL)
);
ALTER TABLE _recon.ledger_source ALTER COLUMN wallet_column DROP NOT NULL;
ALTER TABLE _recon.ledger_source ADD CONSTRAINT ledger_source_wallet_column CHECK (
    (shape = 'entries') = (wallet_column IS NOT NULL)
);
COMMENT ON COLUMN _recon.ledger_source.wallet_column IS
'Column holding the wallet key (entries shape); NULL for transfer rows.';
COMMENT ON COLUMN _recon.ledger_source.shape IS
'entries: one row moves one wallet (wallet_column); transfer: one row moves amount from '
'debit_wallet_column''s wallet to credit_wallet_column''s, two legs.';
COMMENT ON COLUMN _recon.ledger_source.debit_wallet_column IS
'transfer shape: the column of the wallet the amount leaves.';
COMMENT ON COLUMN _recon.ledger_source.credit_wallet_column IS
'transfer shape: the column of the wallet the amount reaches.';
COMMENT ON COLUMN _recon.ledger_source.filters IS
'Entry filters, all ANDed: [{"column": ref, "op": op, "values": [...]}], validated at '
'registration; NULL when every row counts.';
COMMENT ON COLUMN _recon.ledger_source.parents IS
'Parent rows reached through a registered unique key: {"<alias>": {"table": regclass text, '
'"key": column, "via": ref}}; NULL when none.';
COMMENT ON COLUMN _recon.ledger_source.kinds IS
'Effects keyed on several columns: {"keys": [ref, ...], "rules": [{"when": {ref: value}, '
'"label": text}]}; the effects column maps each rule''s label. NULL for one-column keys.';
COMMENT ON COLUMN _recon.ledger_source.after_columns IS
'Running balances per balance column: {"<balance column>": "<after column>"}; NULL when none.';

ALTER TABLE _recon.wallet_source ADD COLUMN label_column name;
COMMENT ON COLUMN _recon.wallet_source.label_column IS
'Optional label (an alias such as @customer-012-brl), shown beside the key in findings.';
