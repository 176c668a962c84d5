-- Undo 0018. The scales go: sources registered with one read their minor units as major units
-- again, so drop those sources (and their checks) first.
ALTER TABLE _recon.wallet_source DROP COLUMN balance_scale;
ALTER TABLE _recon.ledger_source DROP COLUMN amount_scale;
