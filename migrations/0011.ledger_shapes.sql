-- 0011 ledger shapes: a ledger source may be transfer rows (a debit and a credit wallet per
-- row), count only the rows its filters keep, read columns of parent rows through a registered
-- key, key its effects on several columns, and carry a running balance per balance column. A
-- wallet source may name a label column. Every check reads a ledger through its canonical legs
-- relation (_recon.legs_sql), compiled from these columns. Sources registered by 0.1 keep their
-- rows as they are: the new columns are NULL, or 'entries' for the shape.

-- The shapes a ledger source may take, one row each: how one row of the table splits into legs.
-- Adding a shape is one row (docs/CHECKS.md "Adding a ledger shape").
CREATE TABLE _recon.ledger_shape (
    shape text PRIMARY KEY CONSTRAINT ledger_shape_name_format
    CHECK (shape ~ '^[a-z][a-z0-9_]{0,39}$'),
    legs jsonb NOT NULL CONSTRAINT ledger_shape_legs CHECK (
        jsonb_typeof(legs) = 'array' AND jsonb_array_length(legs) >= 1
    ),
    description text NOT NULL
);
COMMENT ON TABLE _recon.ledger_shape IS
'Ledger shapes: how one row of a ledger table splits into legs (the canonical legs relation, '
'_recon.legs_sql). One row per shape; recon.register_ledger_source picks the shape whose leg '
'options it is given.';
COMMENT ON COLUMN _recon.ledger_shape.shape IS 'Shape name: lower case, digits, _.';
COMMENT ON COLUMN _recon.ledger_shape.legs IS
'The legs of one row, in order: [{"side": name, "option": registration option naming the leg''s '
'wallet column, "multiplier": the default effect of the amount on that wallet}]. The entries '
'shape has one leg without side or option: the wallet column argument.';
COMMENT ON COLUMN _recon.ledger_shape.description IS
'What the shape is, for recon.sources and docs.';
INSERT INTO _recon.ledger_shape (shape, legs, description) VALUES
(
    'entries', '[{"side": null, "option": null, "multiplier": 1}]',
    'One row moves one wallet (the wallet column): a signed amount, or amount + direction, or '
    || 'amount + operation type.'
),
(
    'transfer',
    (
        '[{"side": "debit", "option": "debit_wallet", "multiplier": -1}, '
        || '{"side": "credit", "option": "credit_wallet", "multiplier": 1}]'
    )::jsonb,
    'One row moves its amount from the debit wallet to the credit wallet (Blnk, Formance, '
    || 'TigerBeetle, hand-made transfers tables): two legs, balanced by construction.'
);
REVOKE ALL ON _recon.ledger_shape FROM PUBLIC;

ALTER TABLE _recon.ledger_source
ADD COLUMN shape text NOT NULL DEFAULT 'entries'
CONSTRAINT ledger_source_shape REFERENCES _recon.ledger_shape (shape),
ADD COLUMN leg_columns jsonb,
ADD COLUMN debit_wallet_column name GENERATED ALWAYS AS ((leg_columns ->> 'debit')::name) STORED,
ADD COLUMN credit_wallet_column name
GENERATED ALWAYS AS ((leg_columns ->> 'credit')::name) STORED,
ADD COLUMN filters jsonb,
ADD COLUMN parents jsonb,
ADD COLUMN kinds jsonb,
ADD COLUMN after_columns jsonb;
ALTER TABLE _recon.ledger_source ALTER COLUMN wallet_column DROP NOT NULL;
ALTER TABLE _recon.ledger_source ADD CONSTRAINT ledger_source_wallet_column CHECK (
    (shape = 'entries') = (wallet_column IS NOT NULL AND leg_columns IS NULL)
);
COMMENT ON COLUMN _recon.ledger_source.wallet_column IS
'Column holding the wallet key (entries shape); NULL for the other shapes (leg_columns).';
COMMENT ON COLUMN _recon.ledger_source.shape IS
'Its shape (_recon.ledger_shape): entries (one row moves one wallet) or transfer (two legs), '
'or a shape of one''s own.';
COMMENT ON COLUMN _recon.ledger_source.leg_columns IS
'Shapes with several legs: the wallet column of each leg, {"<side>": "<column>"}.';
COMMENT ON COLUMN _recon.ledger_source.debit_wallet_column IS
'transfer shape: the column of the wallet the amount leaves (from leg_columns).';
COMMENT ON COLUMN _recon.ledger_source.credit_wallet_column IS
'transfer shape: the column of the wallet the amount reaches (from leg_columns).';
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
