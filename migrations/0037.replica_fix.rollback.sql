ALTER TABLE _recon.replica_target DROP COLUMN read_secret;
