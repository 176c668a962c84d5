-- Seed 002's tables (wallet-activation synchronization): workspace wallets (balance,
-- locked_balance), activations and their participants, and the wallet's signed-by-type ledger.
-- One schema, two datasets: tests/fixtures/seed002.sql (small, hand-checked) and the demo's
-- demo/activations.sql (demo scale) load it (`\ir` and `-- @include` lines, migrator/sqlfile.py)
-- under `SET search_path = <their schema>`, so every name here is left unqualified.
-- (noqa: RF04 marks the seed's column names that are keywords.)
CREATE TABLE workspace_wallets (
    workspace_id uuid PRIMARY KEY,
    workspace_name text NOT NULL,
    balance numeric NOT NULL DEFAULT 0,
    locked_balance numeric NOT NULL DEFAULT 0,
    currency text NOT NULL DEFAULT 'NGN',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE activations (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspace_wallets (workspace_id),
    type text NOT NULL,  -- noqa: RF04
    title text NOT NULL,
    status text NOT NULL
    CHECK (status IN ('draft', 'live', 'paused', 'completed', 'cancelled')),
    total_budget numeric NOT NULL CHECK (total_budget >= 0),
    spent_amount numeric NOT NULL DEFAULT 0 CHECK (spent_amount >= 0),
    created_at timestamptz NOT NULL,
    published_at timestamptz,
    closed_at timestamptz
);

CREATE TABLE activation_participants (
    id uuid PRIMARY KEY,
    activation_id uuid NOT NULL REFERENCES activations (id),
    creator_id uuid NOT NULL,
    payout_amount numeric NOT NULL CHECK (payout_amount > 0),
    status text NOT NULL CHECK (status IN ('joined', 'paid')),
    joined_at timestamptz NOT NULL,
    paid_at timestamptz
);

CREATE TABLE wallet_transactions (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspace_wallets (workspace_id),
    type text NOT NULL  -- noqa: RF04
    CHECK (type IN ('topup', 'lock', 'payment', 'release', 'withdrawal')),
    amount numeric NOT NULL CHECK (amount > 0),
    reference_type text NOT NULL,
    reference_id text NOT NULL,
    description text,
    created_at timestamptz NOT NULL
);
CREATE INDEX idx_activations_workspace_status
ON activations (workspace_id, status);
CREATE INDEX idx_wallet_transactions_reference
ON wallet_transactions (reference_type, reference_id);
