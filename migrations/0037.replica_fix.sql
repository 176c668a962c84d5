-- A dry-run recon.fix() plan made from a standby's reads (recon.replica_fix,
-- docs/SCALING.md): each read the primary asks the standby for is signed with a secret of the
-- run's target, which the standby has once it has replayed the target.
ALTER TABLE _recon.replica_target
ADD COLUMN read_secret text NOT NULL DEFAULT (gen_random_uuid()::text || gen_random_uuid()::text);
COMMENT ON COLUMN _recon.replica_target.read_secret IS
'A random secret: the primary signs with it each read of a fix plan it asks the standby for '
'(recon.replica_fix); the standby runs only a read so signed (recon.replica_fix_read).';
