-- Undo 0016: findings lose their currency and explained_by (the check's currency shows again),
-- the minor-units table and the registry's wallet_keyed go. The summaries 0016 rewrote keep
-- their counts; the amounts they added across currencies do not come back.
DROP TABLE _recon.currency_unit;
ALTER TABLE _recon.check_kind DROP COLUMN wallet_keyed;
ALTER TABLE _recon.run_stage DROP COLUMN currency, DROP COLUMN explained_by;
ALTER TABLE _recon.observation DROP COLUMN currency, DROP COLUMN explained_by;
ALTER TABLE _recon.finding DROP COLUMN currency, DROP COLUMN explained_by;
