-- 0003 incremental reconcile: per-check watermarks and the per-wallet sums behind them.

CREATE TABLE _recon.watermark (
    check_name text PRIMARY KEY REFERENCES _recon.check_def (name) ON DELETE CASCADE,
    run_id bigint NOT NULL REFERENCES _recon.run (id),
    compiled_md5 text NOT NULL,
    order_bound numeric NOT NULL,
    snapshot_xmin xid8 NOT NULL,
    ledger_relfilenode oid NOT NULL,
    wallet_relfilenode oid NOT NULL,
    ledger_changes bigint NOT NULL,
    wallet_deletes bigint NOT NULL,
    state_rows bigint NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE _recon.watermark IS
'Where a balance check''s incremental mode can start from: the last run that left its per-wallet '
'sums exact up to an ordering-id bound. docs/INCREMENTAL.md explains what invalidates it.';
COMMENT ON COLUMN _recon.watermark.check_name IS 'The balance check.';
COMMENT ON COLUMN _recon.watermark.run_id IS 'The run that set it.';
COMMENT ON COLUMN _recon.watermark.compiled_md5 IS
'md5 of the check''s compiled SQL: a re-registered check invalidates the watermark.';
COMMENT ON COLUMN _recon.watermark.order_bound IS
'Every ledger entry with an ordering id up to this was settled (committed or aborted) and is '
'summed in _recon.balance_state.';
COMMENT ON COLUMN _recon.watermark.snapshot_xmin IS
'Oldest transaction running when the run read the wallets: a wallet row written by this '
'transaction or a later one may have changed since.';
COMMENT ON COLUMN _recon.watermark.ledger_relfilenode IS
'Ledger storage then; a TRUNCATE or rewrite changes it and forces a full run.';
COMMENT ON COLUMN _recon.watermark.wallet_relfilenode IS
'Wallet table storage then; a TRUNCATE or rewrite changes it and forces a full run.';
COMMENT ON COLUMN _recon.watermark.ledger_changes IS
'Ledger rows updated plus deleted (statistics) then: if it moves, a full run follows.';
COMMENT ON COLUMN _recon.watermark.wallet_deletes IS
'Wallet rows deleted (statistics) then: if it moves, a full run follows.';
COMMENT ON COLUMN _recon.watermark.state_rows IS
'Rows it left in _recon.balance_state (an unlogged table: a crash empties it).';
COMMENT ON COLUMN _recon.watermark.taken_at IS 'When it was set.';

CREATE UNLOGGED TABLE _recon.balance_state (
    check_name text NOT NULL,
    wallet_key text NOT NULL,
    n bigint NOT NULL,
    n_amount bigint NOT NULL,
    n_bad bigint NOT NULL,
    sums numeric[] NOT NULL,
    PRIMARY KEY (check_name, wallet_key)
);
COMMENT ON TABLE _recon.balance_state IS
'Per balance check and wallet: entries, non-NULL amounts, unmapped entries and the sum of effects '
'per balance column, over the ledger entries up to the watermark''s bound. Recomputable, so '
'unlogged; an empty state after a crash makes the next incremental run a full one.';
COMMENT ON COLUMN _recon.balance_state.check_name IS 'The balance check.';
COMMENT ON COLUMN _recon.balance_state.wallet_key IS 'Wallet key as text.';
COMMENT ON COLUMN _recon.balance_state.n IS 'Entries.';
COMMENT ON COLUMN _recon.balance_state.n_amount IS 'Entries with a non-NULL amount.';
COMMENT ON COLUMN _recon.balance_state.n_bad IS 'Entries whose direction or type maps to nothing.';
COMMENT ON COLUMN _recon.balance_state.sums IS
'Sum of effects per balance column, in the check''s column order.';
