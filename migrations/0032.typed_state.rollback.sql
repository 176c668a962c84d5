-- Undo 0032: the state tables go (the next run is full), the one shared table comes back.
DO $do$
DECLARE
    v_table name;
BEGIN
    FOR v_table IN
        SELECT c.relname FROM pg_catalog.pg_class AS c
        WHERE c.relnamespace = '_recon'::regnamespace AND c.relkind = 'r'
          AND c.relname ~ '^bs_[0-9a-f]{32}_[0-9]+$'
    LOOP
        EXECUTE format('DROP TABLE _recon.%I', v_table);
    END LOOP;
END;
$do$;
DELETE FROM _recon.balance_state_mark;
ALTER TABLE _recon.balance_state_mark DROP COLUMN state_table;
COMMENT ON TABLE _recon.balance_state_mark IS
'Per balance check: the run that last wrote its rows of _recon.balance_state (its generation). '
'Unlogged like the state, so a crash (or a promoted standby) empties both at once: a mark that '
'equals the watermark''s run_id shows the state is whole, in one index probe instead of a '
'count of the state''s rows.';
COMMENT ON COLUMN _recon.watermark.state_rows IS
'Rows it left in _recon.balance_state, for information: the state is checked by '
'_recon.balance_state_mark (0022).';
CREATE UNLOGGED TABLE _recon.balance_state (
    check_name text NOT NULL,
    wallet_key text NOT NULL,
    n bigint NOT NULL,
    n_amount bigint NOT NULL,
    n_bad bigint NOT NULL,
    sums numeric[] NOT NULL,
    has_wallet boolean NOT NULL DEFAULT FALSE,
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
COMMENT ON COLUMN _recon.balance_state.has_wallet IS
'The key was a wallet when the state was last read with the wallets (every wallet has a row, '
'with n = 0 when it has no entries). An incremental run compares the wallets still there with '
'those it counts here: one deleted or re-keyed makes the run full (docs/INCREMENTAL.md).';
