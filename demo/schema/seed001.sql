-- Seed 001's tables (midaz two-phase transfers): balance (available, on_hold, version),
-- transaction (its status) and operation (each with the balance's running values and version
-- after it, and the status its transaction had when it was written).
-- One schema, two datasets: tests/fixtures/seed001.sql (small, hand-checked) and the demo's
-- demo/holds.sql (demo scale) load it (`\ir` and `-- @include` lines, migrator/sqlfile.py)
-- under `SET search_path = <their schema>`, so every name here is left unqualified.
-- (noqa: RF04 marks the seed's column names that are keywords.)
CREATE TABLE balance (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    ledger_id uuid NOT NULL,
    account_id uuid NOT NULL UNIQUE,
    alias text NOT NULL UNIQUE,  -- noqa: RF04
    key text NOT NULL DEFAULT 'default',  -- noqa: RF04
    asset_code text NOT NULL DEFAULT 'BRL',
    available numeric NOT NULL DEFAULT 0,
    on_hold numeric NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT 0,  -- noqa: RF04
    account_type text NOT NULL DEFAULT 'deposit',
    allow_sending boolean NOT NULL DEFAULT TRUE,
    allow_receiving boolean NOT NULL DEFAULT TRUE,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE transaction (
    id uuid PRIMARY KEY,
    parent_transaction_id uuid REFERENCES transaction (id),
    description text,
    status text NOT NULL
    CHECK (status IN ('CREATED', 'PENDING', 'APPROVED', 'CANCELED', 'NOTED')),
    pending boolean NOT NULL,
    amount numeric NOT NULL,
    asset_code text NOT NULL DEFAULT 'BRL',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE operation (
    id uuid PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    transaction_id uuid NOT NULL REFERENCES transaction (id),
    balance_id uuid NOT NULL REFERENCES balance (id),
    account_alias text NOT NULL,
    type text NOT NULL,  -- noqa: RF04
    amount numeric NOT NULL,
    asset_code text NOT NULL DEFAULT 'BRL',
    available_after numeric NOT NULL,
    on_hold_after numeric NOT NULL,
    balance_version_after bigint NOT NULL,
    status text NOT NULL,
    description text,
    created_at timestamptz NOT NULL
);
CREATE INDEX operation_transaction ON operation (transaction_id);
CREATE INDEX operation_balance ON operation (balance_id, seq);
