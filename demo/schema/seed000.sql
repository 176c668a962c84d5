-- Seed 000's tables (the runbook "Balance Discrepancy"): wallet_account (a member's stored
-- balance), wallet_transaction (a signed amount, the running balance after it and the payment
-- or order it books) and payment_intent (the payment gateway's view of every top-up).
-- One schema, two datasets: tests/fixtures/seed000.sql (small, hand-checked) and the demo's
-- demo/runbook.sql (demo scale) load it (`\ir` and `-- @include` lines, migrator/sqlfile.py)
-- under `SET search_path = <their schema>`, so every name here is left unqualified.
-- member_id is not unique: tests add wallets of a member who already has one.
-- (noqa: RF04 marks the seed's column names that are keywords.)
CREATE TABLE wallet_account (
    id uuid PRIMARY KEY,
    member_id bigint NOT NULL,
    balance numeric(14, 2) NOT NULL DEFAULT 0,
    currency text NOT NULL DEFAULT 'ZAR',
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE wallet_account IS
'A member''s wallet: the stored balance the app shows (seed 000).';

CREATE TABLE wallet_transaction (
    id uuid PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    wallet_id uuid NOT NULL REFERENCES wallet_account (id),
    type text NOT NULL,  -- noqa: RF04
    amount numeric(14, 2) NOT NULL,
    balance_after numeric(14, 2) NOT NULL,
    reference text,
    description text,
    posted_at timestamptz NOT NULL
);
CREATE INDEX wallet_transaction_wallet ON wallet_transaction (wallet_id, seq);
CREATE INDEX wallet_transaction_reference ON wallet_transaction (reference);
COMMENT ON TABLE wallet_transaction IS
'The wallet ledger: signed amounts, the running balance after each, the payment or order '
'booked (seed 000).';

CREATE TABLE payment_intent (
    id text PRIMARY KEY,
    wallet_id uuid NOT NULL,
    amount numeric(14, 2) NOT NULL,
    status text NOT NULL,
    source_id text NOT NULL
);
COMMENT ON TABLE payment_intent IS
'The payment gateway''s payments; a COMPLETED wallet-% one must be booked in the ledger.';
