-- Seed 003's tables (wallet backfill): a legacy balance users.total_coins, and a double-entry
-- coin ledger (user_wallet, coin_ledger_transactions, coin_journal_entries).
-- One schema, two datasets: tests/fixtures/seed003.sql (small, hand-checked) and the demo's
-- demo/coins.sql (demo scale) load it (`\ir` and `-- @include` lines, migrator/sqlfile.py)
-- under `SET search_path = <their schema>`, so every name here is left unqualified.
-- (noqa: RF04 marks the seed's column names that are keywords.)
CREATE TABLE users (
    id text PRIMARY KEY,
    username text NOT NULL UNIQUE,
    email text NOT NULL UNIQUE,
    role text NOT NULL DEFAULT 'member',  -- noqa: RF04
    status text NOT NULL DEFAULT 'active',
    is_bot boolean NOT NULL DEFAULT FALSE,
    total_coins bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_wallet (
    wallet_id text PRIMARY KEY,
    user_id text NOT NULL UNIQUE REFERENCES users (id),
    balance bigint NOT NULL DEFAULT 0,
    status text NOT NULL DEFAULT 'active',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE coin_ledger_transactions (
    id text PRIMARY KEY,
    type text NOT NULL,  -- noqa: RF04
    initiator_user_id text REFERENCES users (id),
    context jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE coin_journal_entries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id text NOT NULL REFERENCES coin_ledger_transactions (id),
    wallet_id text NOT NULL REFERENCES user_wallet (wallet_id),
    direction text NOT NULL CHECK (direction IN ('credit', 'debit')),
    amount bigint NOT NULL CHECK (amount > 0),
    memo text,
    created_at timestamptz NOT NULL DEFAULT now()
);
