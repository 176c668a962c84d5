DROP TABLE _recon.fix_read_memo;
ALTER TABLE _recon.replica_target DROP COLUMN read_secret;
