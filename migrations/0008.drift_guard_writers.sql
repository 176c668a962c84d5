-- 0008 the drift guard runs as the writer: its generated trigger functions are no longer
-- SECURITY DEFINER (a pinned search_path cost every call a GUC save and restore), and its
-- commit-time check is queued by the wallet table alone. What they need the toolkit's rights
-- for goes through the few SECURITY DEFINER functions of _recon_guard, the only toolkit
-- schema every role may use; _recon.guard_tick queues the check of a transaction that wrote
-- the ledger alone.

CREATE SCHEMA _recon_guard;
COMMENT ON SCHEMA _recon_guard IS
'wallet-recon: the functions a drift guard''s trigger functions call as whoever writes the '
'guarded tables (queue a commit-time check, move a large accumulator to a table, judge it). '
'Every role may use it; the functions only ever act on the calling transaction''s own '
'accumulator. docs/SECURITY.md.';
REVOKE ALL ON SCHEMA _recon_guard FROM PUBLIC;
GRANT USAGE ON SCHEMA _recon_guard TO PUBLIC;

CREATE UNLOGGED TABLE _recon.guard_tick (
    guard_id integer NOT NULL
);
COMMENT ON TABLE _recon.guard_tick IS
'A row inserted and deleted at once by _recon_guard.drift_tick(): its deferred constraint '
'trigger (_recon.tg_guard_tick) judges the drift guard''s accumulator at commit, for a '
'transaction whose first guarded write was to the ledger (the wallet table''s own constraint '
'trigger queues the check otherwise). Always empty outside a transaction; unlogged.';
COMMENT ON COLUMN _recon.guard_tick.guard_id IS 'The drift guard to judge.';
