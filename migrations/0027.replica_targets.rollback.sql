-- Undo 0027: the targets go (the older recon.record_replica_run() kept none).
DROP TABLE _recon.replica_target;
